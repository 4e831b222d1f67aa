import { randomUUID } from 'node:crypto';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { BatchAppendReq } from '@eventstore/db-client/generated/streams_pb';
import { decodeBatchAppendRequest, MalformedMessageError } from './batch-append-request.decoder';

function proposed(id: UUID, type: string, data: Uint8Array, metadata: Uint8Array) {
  const message = new BatchAppendReq.ProposedMessage();
  message.setId(id);
  message.getMetadataMap().set('type', type);
  message.getMetadataMap().set('content-type', 'application/octet-stream');
  message.setData(data);
  message.setCustomMetadata(metadata);
  return message;
}

function stringId(text: string): UUID {
  const id = new UUID();
  id.setString(text);
  return id;
}

describe(decodeBatchAppendRequest.name, () => {
  it('reads what the generated serializer writes, field by field', () => {
    const request = new BatchAppendReq();
    const correlation = stringId(randomUUID());
    request.setCorrelationId(correlation);
    const options = new BatchAppendReq.Options();
    const identifier = new StreamIdentifier();
    identifier.setStreamName(Buffer.from('customer-ü'));
    options.setStreamIdentifier(identifier);
    options.setStreamPosition('41');
    request.setOptions(options);
    const structured = new UUID();
    const parts = new UUID.Structured();
    parts.setMostSignificantBits('-81985529216486896');
    parts.setLeastSignificantBits('81985529216486895');
    structured.setStructured(parts);
    const first = randomUUID();
    request.addProposedMessages(
      proposed(stringId(first), 'Created', Buffer.from([1, 2, 3]), Buffer.from('{"m":1}')),
    );
    request.addProposedMessages(proposed(structured, 'Updated', Buffer.alloc(0), Buffer.alloc(0)));
    request.setIsFinal(true);

    const decoded = decodeBatchAppendRequest(Buffer.from(request.serializeBinary()));

    expect(decoded.getCorrelationId()!.getString()).toBe(correlation.getString());
    expect(decoded.getOptions()!.getStreamPosition()).toBe('41');
    expect(
      Buffer.from(decoded.getOptions()!.getStreamIdentifier()!.getStreamName_asU8()).toString(),
    ).toBe('customer-ü');
    expect(decoded.getIsFinal()).toBe(true);
    const [one, two] = decoded.getProposedMessagesList();
    expect(one.getId()!.getString()).toBe(first);
    expect(one.getMetadataMap().get('type')).toBe('Created');
    expect(one.getMetadataMap().get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(one.getData_asU8())).toEqual(Buffer.from([1, 2, 3]));
    expect(Buffer.from(one.getCustomMetadata_asU8()).toString()).toBe('{"m":1}');
    expect(two.getId()!.hasStructured()).toBe(true);
    expect(two.getId()!.getStructured()!.getMostSignificantBits()).toBe('-81985529216486896');
    expect(two.getData_asU8()).toHaveLength(0);
  });

  it('defaults is_final to false and tolerates a batch without options', () => {
    const request = new BatchAppendReq();
    request.setCorrelationId(stringId(randomUUID()));
    const decoded = decodeBatchAppendRequest(Buffer.from(request.serializeBinary()));
    expect(decoded.getIsFinal()).toBe(false);
    expect(decoded.getOptions()).toBeUndefined();
    expect(decoded.getProposedMessagesList()).toEqual([]);
  });

  it('skips fields it does not know', () => {
    const request = new BatchAppendReq();
    request.setIsFinal(true);
    const options = new BatchAppendReq.Options();
    options.setAny(new Empty());
    request.setOptions(options);
    const unknown = Buffer.from([0x50, 0x07, 0x5a, 0x02, 0x61, 0x62, 0x61, 1, 2, 3, 4, 5, 6, 7, 8]);
    const decoded = decodeBatchAppendRequest(
      Buffer.concat([Buffer.from(request.serializeBinary()), unknown]),
    );
    expect(decoded.getIsFinal()).toBe(true);
    expect(decoded.getOptions()!.hasAny()).toBe(true);
  });

  it('refuses truncated input instead of reading past it', () => {
    const request = new BatchAppendReq();
    request.addProposedMessages(
      proposed(stringId(randomUUID()), 'T', Buffer.alloc(100), Buffer.alloc(0)),
    );
    const bytes = Buffer.from(request.serializeBinary());
    expect(() => decodeBatchAppendRequest(bytes.subarray(0, bytes.length - 10))).toThrow(
      MalformedMessageError,
    );
    expect(() =>
      decodeBatchAppendRequest(
        Buffer.from([0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      ),
    ).toThrow(MalformedMessageError);
  });
});
