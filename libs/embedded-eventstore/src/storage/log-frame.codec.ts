import { crc32 } from 'node:zlib';
import { FRAME_HEADER_SIZE } from '@app/embedded-storage';
import type { LoggedEventRanges } from '../protocol/read-response.encoder';

// Every commit is one frame: [payload length u32][crc32(payload) u32][payload]. A frame is the unit
// of atomicity: recovery either sees the whole frame with a matching checksum or truncates it away.
export { FRAME_HEADER_SIZE };
// A single append is bounded by maxAppendSize (1 MiB by default); anything far beyond that in a
// length field can only be garbage, so recovery treats it as a torn tail instead of allocating it.
export const MAX_FRAME_PAYLOAD = 512 * 1024 * 1024;

export const TOMBSTONE_FLAG = 1;

export interface LoggedEvent {
  flags: number;
  streamName: string;
  revision: number;
  position: number;
  createdMs: number;
  id: string;
  type: string;
  contentType: string;
  data: Buffer;
  metadata: Buffer;
}

const FORMAT_VERSION = 1;
// A frame of no events that only holds a place: `--repair` writes one where a damaged region was,
// so every kept frame stays at its offset and positions never go backwards.
const PADDING_VERSION = 0;
const UUID_BYTES = 16;

export function encodeFrame(events: readonly LoggedEvent[]): Buffer {
  let payloadSize = 1 + 4;
  const encoded = events.map((event) => {
    const stream = Buffer.from(event.streamName, 'utf8');
    const type = Buffer.from(event.type, 'utf8');
    const contentType = Buffer.from(event.contentType, 'utf8');
    payloadSize +=
      1 + 2 + stream.length + 8 + 8 + 8 + UUID_BYTES + 2 + type.length + 2 + contentType.length;
    payloadSize += 4 + event.data.length + 4 + event.metadata.length;
    return { event, stream, type, contentType };
  });
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payloadSize);
  let offset = FRAME_HEADER_SIZE;
  frame.writeUInt8(FORMAT_VERSION, offset);
  offset += 1;
  frame.writeUInt32LE(events.length, offset);
  offset += 4;
  for (const { event, stream, type, contentType } of encoded) {
    offset = frame.writeUInt8(event.flags, offset);
    offset = writeShortBytes(frame, stream, offset);
    offset = frame.writeDoubleLE(event.revision, offset);
    offset = frame.writeDoubleLE(event.position, offset);
    offset = frame.writeDoubleLE(event.createdMs, offset);
    offset += Buffer.from(event.id.replace(/-/g, ''), 'hex').copy(frame, offset);
    offset = writeShortBytes(frame, type, offset);
    offset = writeShortBytes(frame, contentType, offset);
    offset = writeLongBytes(frame, event.data, offset);
    offset = writeLongBytes(frame, event.metadata, offset);
  }
  frame.writeUInt32LE(payloadSize, 0);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_SIZE)), 4);
  return frame;
}

export type FrameReadResult =
  | { kind: 'frame'; events: LoggedEvent[]; nextOffset: number }
  | { kind: 'end' }
  | { kind: 'torn'; incomplete: boolean; reason: string };

// Reads the frame starting at `offset` of `buffer`. Anything that is not a complete frame with a
// matching checksum is reported as torn: the caller truncates the log there.
export function readFrame(buffer: Buffer, offset: number): FrameReadResult {
  if (offset === buffer.length) return { kind: 'end' };
  if (buffer.length - offset < FRAME_HEADER_SIZE)
    return { kind: 'torn', incomplete: true, reason: 'short header' };
  const payloadSize = buffer.readUInt32LE(offset);
  const checksum = buffer.readUInt32LE(offset + 4);
  if (payloadSize < 1 || payloadSize > MAX_FRAME_PAYLOAD) {
    return { kind: 'torn', incomplete: false, reason: `implausible frame length ${payloadSize}` };
  }
  const start = offset + FRAME_HEADER_SIZE;
  const end = start + payloadSize;
  if (end > buffer.length)
    return { kind: 'torn', incomplete: true, reason: 'frame extends past end of data' };
  const payload = buffer.subarray(start, end);
  if (crc32(payload) !== checksum)
    return { kind: 'torn', incomplete: false, reason: 'checksum mismatch' };
  try {
    return { kind: 'frame', events: decodePayload(payload), nextOffset: end };
  } catch (error) {
    return {
      kind: 'torn',
      incomplete: false,
      reason: `undecodable payload: ${(error as Error).message}`,
    };
  }
}

/** A frame of exactly `size` bytes (at least FRAME_HEADER_SIZE + 1) that decodes to no events. */
export function encodePaddingFrame(size: number): Buffer {
  if (size < FRAME_HEADER_SIZE + 1) throw new RangeError(`padding frame of ${size} bytes`);
  const frame = Buffer.alloc(size);
  frame.writeUInt32LE(size - FRAME_HEADER_SIZE, 0);
  frame.writeUInt8(PADDING_VERSION, FRAME_HEADER_SIZE);
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_SIZE)), 4);
  return frame;
}

export function decodePayload(payload: Buffer): LoggedEvent[] {
  const events: LoggedEvent[] = [];
  forEachEventRanges(payload, (flags, r) => {
    events.push({
      flags,
      streamName: payload.toString('utf8', r.stream, r.stream + r.streamLength),
      revision: r.revision as number,
      position: r.position,
      createdMs: r.createdMs,
      id: formatUuid(payload.subarray(r.id, r.id + UUID_BYTES)),
      type: payload.toString('utf8', r.type, r.type + r.typeLength),
      contentType: payload.toString('utf8', r.contentType, r.contentType + r.contentTypeLength),
      data: payload.subarray(r.data, r.data + r.dataLength),
      metadata: payload.subarray(r.metadata, r.metadata + r.metadataLength),
    });
  });
  return events;
}

/**
 * Calls `visit` for each event of a payload with its flags and where its parts are in `payload`
 * (one ranges object, reused from event to event); returns the number of events.
 */
export function forEachEventRanges(
  payload: Buffer,
  visit: (flags: number, ranges: LoggedEventRanges) => void,
): number {
  if (payload.readUInt8(0) === PADDING_VERSION) return 0;
  if (payload.readUInt8(0) !== FORMAT_VERSION) throw new Error('unknown format version');
  const count = payload.readUInt32LE(1);
  const r: LoggedEventRanges = {
    id: 0,
    stream: 0,
    streamLength: 0,
    type: 0,
    typeLength: 0,
    contentType: 0,
    contentTypeLength: 0,
    data: 0,
    dataLength: 0,
    metadata: 0,
    metadataLength: 0,
    revision: 0,
    position: 0,
    createdMs: 0,
  };
  let offset = 5;
  for (let i = 0; i < count; i++) {
    const flags = payload.readUInt8(offset);
    r.streamLength = payload.readUInt16LE(offset + 1);
    r.stream = offset + 3;
    offset = within(payload, r.stream + r.streamLength + 24 + UUID_BYTES);
    r.revision = payload.readDoubleLE(offset - 24 - UUID_BYTES);
    r.position = payload.readDoubleLE(offset - 16 - UUID_BYTES);
    r.createdMs = payload.readDoubleLE(offset - 8 - UUID_BYTES);
    r.id = offset - UUID_BYTES;
    r.typeLength = payload.readUInt16LE(offset);
    r.type = offset + 2;
    offset = within(payload, r.type + r.typeLength);
    r.contentTypeLength = payload.readUInt16LE(offset);
    r.contentType = offset + 2;
    offset = within(payload, r.contentType + r.contentTypeLength);
    r.dataLength = payload.readUInt32LE(offset);
    r.data = offset + 4;
    offset = within(payload, r.data + r.dataLength);
    r.metadataLength = payload.readUInt32LE(offset);
    r.metadata = offset + 4;
    offset = within(payload, r.metadata + r.metadataLength);
    visit(flags, r);
  }
  if (offset !== payload.length) throw new Error('trailing bytes in frame');
  return count;
}

function within(source: Buffer, end: number): number {
  if (end > source.length) throw new RangeError('field extends past frame');
  return end;
}

function writeShortBytes(target: Buffer, bytes: Buffer, offset: number): number {
  target.writeUInt16LE(bytes.length, offset);
  return offset + 2 + bytes.copy(target, offset + 2);
}

function writeLongBytes(target: Buffer, bytes: Buffer, offset: number): number {
  target.writeUInt32LE(bytes.length, offset);
  return offset + 4 + bytes.copy(target, offset + 4);
}

export function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
