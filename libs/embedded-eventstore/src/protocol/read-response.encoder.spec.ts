import { randomUUID } from 'node:crypto';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import {
  encodeCaughtUp,
  encodeCheckpoint,
  encodeConfirmation,
  encodeEventResponse,
  encodeStreamNotFound,
  layoutRecordedEvent,
  type RecordedEventFields,
  TOMBSTONE_REVISION,
  withStructuredId,
  writeRecordedEvent,
} from './read-response.encoder';

function recorded(fields: RecordedEventFields): Buffer {
  const layout = layoutRecordedEvent(fields);
  const out = Buffer.alloc(layout.size + 4, 0xee);
  const end = writeRecordedEvent(out, 2, layout);
  expect(end).toBe(2 + layout.size);
  return out.subarray(2, end);
}

const fields = (overrides: Partial<RecordedEventFields> = {}): RecordedEventFields => ({
  id: randomUUID(),
  streamName: 'customer-ü',
  revision: 300,
  position: 2 ** 40 + 7,
  createdMs: 1_700_000_000_123,
  type: 'CustomerRegistered',
  contentType: 'application/json',
  data: Buffer.from('{"a":1}'),
  metadata: Buffer.from([1, 2, 3]),
  ...overrides,
});

describe('read response encoding', () => {
  it('writes a RecordedEvent the generated classes read back field by field', () => {
    const input = fields();
    const response = ReadResp.deserializeBinary(
      encodeEventResponse(recorded(input), undefined, input.position),
    );
    const event = response.getEvent()!.getEvent()!;
    expect(event.getId()!.getString()).toBe(input.id);
    expect(Buffer.from(event.getStreamIdentifier()!.getStreamName_asU8()).toString()).toBe(
      'customer-ü',
    );
    expect(event.getStreamRevision()).toBe('300');
    expect(event.getPreparePosition()).toBe(String(2 ** 40 + 7));
    expect(event.getCommitPosition()).toBe(String(2 ** 40 + 7));
    expect(event.getMetadataMap().get('type')).toBe('CustomerRegistered');
    expect(event.getMetadataMap().get('content-type')).toBe('application/json');
    expect(event.getMetadataMap().get('created')).toBe('17000000001230000');
    expect(Buffer.from(event.getData_asU8()).toString()).toBe('{"a":1}');
    expect([...event.getCustomMetadata_asU8()]).toEqual([1, 2, 3]);
    expect(response.getEvent()!.getCommitPosition()).toBe(String(2 ** 40 + 7));
    expect(response.getEvent()!.hasLink()).toBe(false);
  });

  it('carries the 64-bit tombstone revision exactly', () => {
    const bytes = recorded(fields({ revision: TOMBSTONE_REVISION, data: Buffer.alloc(0) }));
    const response = ReadResp.deserializeBinary(encodeEventResponse(bytes, undefined, 1));
    expect(response.getEvent()!.getEvent()!.getStreamRevision()).toBe('9223372036854775807');
  });

  it('puts a resolved link next to its target, and a dangling link alone', () => {
    const target = recorded(fields({ type: 'Target' }));
    const link = recorded(fields({ type: '$>', streamName: 'links' }));
    const resolved = ReadResp.deserializeBinary(encodeEventResponse(target, link, 9)).getEvent()!;
    expect(resolved.getEvent()!.getMetadataMap().get('type')).toBe('Target');
    expect(resolved.getLink()!.getMetadataMap().get('type')).toBe('$>');
    const dangling = ReadResp.deserializeBinary(
      encodeEventResponse(undefined, link, 9),
    ).getEvent()!;
    expect(dangling.hasEvent()).toBe(false);
    expect(dangling.hasLink()).toBe(true);
  });

  it('swaps in a structured id that encodes the same 128 bits', () => {
    const id = 'fedcba98-7654-3210-0123-456789abcdef';
    const bytes = withStructuredId(recorded(fields({ id })), id);
    const event = ReadResp.deserializeBinary(encodeEventResponse(bytes, undefined, 1))
      .getEvent()!
      .getEvent()!;
    const structured = event.getId()!.getStructured()!;
    const hex = [structured.getMostSignificantBits(), structured.getLeastSignificantBits()]
      .map((part) => BigInt.asUintN(64, BigInt(part)).toString(16).padStart(16, '0'))
      .join('');
    expect(hex).toBe(id.replace(/-/g, ''));
    expect(event.getMetadataMap().get('type')).toBe('CustomerRegistered');
  });

  it('encodes the subscription control messages', () => {
    expect(
      ReadResp.deserializeBinary(encodeConfirmation('sub-1'))
        .getConfirmation()!
        .getSubscriptionId(),
    ).toBe('sub-1');
    const checkpoint = ReadResp.deserializeBinary(encodeCheckpoint(123456789)).getCheckpoint()!;
    expect([checkpoint.getCommitPosition(), checkpoint.getPreparePosition()]).toEqual([
      '123456789',
      '123456789',
    ]);
    expect(ReadResp.deserializeBinary(encodeCaughtUp()).hasCaughtUp()).toBe(true);
    const notFound = ReadResp.deserializeBinary(encodeStreamNotFound('nope')).getStreamNotFound()!;
    expect(Buffer.from(notFound.getStreamIdentifier()!.getStreamName_asU8()).toString()).toBe(
      'nope',
    );
  });
});
