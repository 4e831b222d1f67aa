import { crc32 } from 'node:zlib';
import { FRAME_HEADER_SIZE } from '@app/embedded-storage';

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

/** An event of a frame as views into the frame's bytes (nothing decoded to strings). */
export interface EventBytes {
  flags: number;
  stream: Buffer;
  revision: number;
  position: number;
  createdMs: number;
  /** The 16 bytes of the UUID. */
  id: Buffer;
  type: Buffer;
  contentType: Buffer;
  data: Buffer;
  metadata: Buffer;
}

export function decodePayload(payload: Buffer): LoggedEvent[] {
  return decodePayloadBytes(payload).map((event) => ({
    flags: event.flags,
    streamName: event.stream.toString('utf8'),
    revision: event.revision,
    position: event.position,
    createdMs: event.createdMs,
    id: formatUuid(event.id),
    type: event.type.toString('utf8'),
    contentType: event.contentType.toString('utf8'),
    data: event.data,
    metadata: event.metadata,
  }));
}

export function decodePayloadBytes(payload: Buffer): EventBytes[] {
  if (payload.readUInt8(0) === PADDING_VERSION) return [];
  if (payload.readUInt8(0) !== FORMAT_VERSION) throw new Error('unknown format version');
  const count = payload.readUInt32LE(1);
  let offset = 5;
  const events: EventBytes[] = [];
  for (let i = 0; i < count; i++) {
    const flags = payload.readUInt8(offset);
    offset += 1;
    const stream = readShortBytes(payload, offset);
    offset = stream.next;
    const revision = payload.readDoubleLE(offset);
    const position = payload.readDoubleLE(offset + 8);
    const createdMs = payload.readDoubleLE(offset + 16);
    offset += 24;
    if (offset + UUID_BYTES > payload.length) throw new RangeError('field extends past frame');
    const id = payload.subarray(offset, offset + UUID_BYTES);
    offset += UUID_BYTES;
    const type = readShortBytes(payload, offset);
    offset = type.next;
    const contentType = readShortBytes(payload, offset);
    offset = contentType.next;
    const data = readLongBytes(payload, offset);
    offset = data.next;
    const metadata = readLongBytes(payload, offset);
    offset = metadata.next;
    events.push({
      flags,
      stream: stream.bytes,
      revision,
      position,
      createdMs,
      id,
      type: type.bytes,
      contentType: contentType.bytes,
      data: data.bytes,
      metadata: metadata.bytes,
    });
  }
  if (offset !== payload.length) throw new Error('trailing bytes in frame');
  return events;
}

function writeShortBytes(target: Buffer, bytes: Buffer, offset: number): number {
  target.writeUInt16LE(bytes.length, offset);
  return offset + 2 + bytes.copy(target, offset + 2);
}

function writeLongBytes(target: Buffer, bytes: Buffer, offset: number): number {
  target.writeUInt32LE(bytes.length, offset);
  return offset + 4 + bytes.copy(target, offset + 4);
}

function readShortBytes(source: Buffer, offset: number): { bytes: Buffer; next: number } {
  const length = source.readUInt16LE(offset);
  const end = offset + 2 + length;
  if (end > source.length) throw new RangeError('field extends past frame');
  return { bytes: source.subarray(offset + 2, end), next: end };
}

function readLongBytes(source: Buffer, offset: number): { bytes: Buffer; next: number } {
  const length = source.readUInt32LE(offset);
  const end = offset + 4 + length;
  if (end > source.length) throw new RangeError('field extends past frame');
  return { bytes: source.subarray(offset + 4, end), next: end };
}

export function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
