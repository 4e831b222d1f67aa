import { randomUUID } from 'node:crypto';
import {
  encodeFrame,
  FRAME_HEADER_SIZE,
  type LoggedEvent,
  readFrame,
  TOMBSTONE_FLAG,
} from './log-frame.codec';

function loggedEvent(overrides: Partial<LoggedEvent> = {}): LoggedEvent {
  return {
    flags: 0,
    streamName: 'customer-42',
    revision: 7,
    position: 1234,
    createdMs: 1_700_000_000_123,
    id: randomUUID(),
    type: 'CustomerRegistered',
    contentType: 'application/json',
    data: Buffer.from('{"name":"Zoë"}'),
    metadata: Buffer.from([0, 255, 1]),
    ...overrides,
  };
}

describe('log frame codec', () => {
  it('round-trips every field of every event in a frame', () => {
    const events = [
      loggedEvent(),
      loggedEvent({ flags: TOMBSTONE_FLAG, streamName: 'ünïcode-stream', data: Buffer.alloc(0) }),
    ];
    const frame = encodeFrame(events);
    const result = readFrame(frame, 0);
    expect(result).toEqual({ kind: 'frame', events, nextOffset: frame.length });
  });

  it('reports the end exactly at the end of the data', () => {
    const frame = encodeFrame([loggedEvent()]);
    expect(readFrame(frame, frame.length)).toEqual({ kind: 'end' });
  });

  it('reports every strict prefix of a frame as an incomplete (torn) frame', () => {
    const frame = encodeFrame([loggedEvent(), loggedEvent()]);
    for (let cut = 1; cut < frame.length; cut++) {
      const result = readFrame(frame.subarray(0, cut), 0);
      expect(result).toMatchObject({ kind: 'torn', incomplete: true });
    }
  });

  it('rejects a frame whose payload does not match its checksum', () => {
    const frame = encodeFrame([loggedEvent()]);
    frame[FRAME_HEADER_SIZE + 20] ^= 0x01;
    expect(readFrame(frame, 0)).toMatchObject({
      kind: 'torn',
      incomplete: false,
      reason: 'checksum mismatch',
    });
  });

  it('rejects an implausible length instead of trying to allocate it', () => {
    const frame = encodeFrame([loggedEvent()]);
    frame.writeUInt32LE(0xffffffff, 0);
    expect(readFrame(frame, 0)).toMatchObject({ kind: 'torn', incomplete: false });
    frame.writeUInt32LE(0, 0);
    expect(readFrame(frame, 0)).toMatchObject({ kind: 'torn', incomplete: false });
  });
});
