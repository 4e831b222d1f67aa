// Hand-written protobuf encoding of the hot read path (streams.proto ReadResp and friends). Each
// committed event is encoded once as a RecordedEvent and kept as bytes; a read or subscription
// then only wraps those bytes, instead of rebuilding google-protobuf objects per delivery.

const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;

// RecordedEvent field numbers.
const RECORDED_ID = 1;
const RECORDED_STREAM = 2;
const RECORDED_REVISION = 3;
const RECORDED_PREPARE = 4;
const RECORDED_COMMIT = 5;
const RECORDED_METADATA_MAP = 6;
const RECORDED_CUSTOM_METADATA = 7;
const RECORDED_DATA = 8;
// UUID: structured = 1 { most = 1, least = 2 }, string = 2. StreamIdentifier: stream_name = 3.
const UUID_STRUCTURED = 1;
const UUID_STRING = 2;
const STREAM_NAME = 3;
// ReadEvent: event = 1, link = 2, commit_position = 3. ReadResp: event = 1, confirmation = 2,
// checkpoint = 3, stream_not_found = 4, caught_up = 8.
const READ_EVENT_EVENT = 1;
const READ_EVENT_LINK = 2;
const READ_EVENT_COMMIT = 3;
const RESP_EVENT = 1;
const RESP_CONFIRMATION = 2;
const RESP_CHECKPOINT = 3;
const RESP_STREAM_NOT_FOUND = 4;
const RESP_CAUGHT_UP = 8;

// `created` travels as 100 ns ticks since the Unix epoch, which is what the client divides back.
// The tombstone event of a hard-deleted stream carries the largest signed 64-bit revision.
export const TOMBSTONE_REVISION = 9223372036854775807n;
const TICKS_PER_MS_ZEROS = '0000';

export interface RecordedEventFields {
  id: string;
  streamName: string;
  revision: number | bigint;
  position: number;
  createdMs: number;
  type: string;
  contentType: string;
  data: Buffer;
  metadata: Buffer;
}

const TYPE_KEY = Buffer.from('type');
const CONTENT_TYPE_KEY = Buffer.from('content-type');
const CREATED_KEY = Buffer.from('created');

// The variable-length parts of a RecordedEvent, measured once so the event can be written straight
// into its final place (a slab of the event table) in a single pass.
export interface RecordedEventLayout {
  fields: RecordedEventFields;
  id: Buffer;
  stream: Buffer;
  type: Buffer;
  contentType: Buffer;
  created: Buffer;
  uuidSize: number;
  streamSize: number;
  size: number;
}

export function layoutRecordedEvent(fields: RecordedEventFields): RecordedEventLayout {
  const id = Buffer.from(fields.id, 'latin1');
  const stream = Buffer.from(fields.streamName, 'utf8');
  const type = Buffer.from(fields.type, 'utf8');
  const contentType = Buffer.from(fields.contentType, 'utf8');
  const created = Buffer.from(ticksText(fields.createdMs), 'latin1');
  const uuidSize = 1 + lengthPrefixedSize(id.length);
  const streamSize = 1 + lengthPrefixedSize(stream.length);
  const size =
    1 +
    lengthPrefixedSize(uuidSize) +
    1 +
    lengthPrefixedSize(streamSize) +
    1 +
    varintSize(fields.revision) +
    2 * (1 + varintSize(fields.position)) +
    1 +
    lengthPrefixedSize(mapEntrySize(TYPE_KEY, type)) +
    1 +
    lengthPrefixedSize(mapEntrySize(CONTENT_TYPE_KEY, contentType)) +
    1 +
    lengthPrefixedSize(mapEntrySize(CREATED_KEY, created)) +
    1 +
    lengthPrefixedSize(fields.metadata.length) +
    1 +
    lengthPrefixedSize(fields.data.length);
  return { fields, id, stream, type, contentType, created, uuidSize, streamSize, size };
}

/**
 * Where one event's parts are in a frame read back from the log, as offsets into that frame's
 * bytes: a RecordedEvent is written from them without a Buffer or string per part.
 */
export interface LoggedEventRanges {
  /** Offset of the 16 bytes of the UUID (written as its 36-character text). */
  id: number;
  stream: number;
  streamLength: number;
  type: number;
  typeLength: number;
  contentType: number;
  contentTypeLength: number;
  data: number;
  dataLength: number;
  metadata: number;
  metadataLength: number;
  revision: number | bigint;
  position: number;
  createdMs: number;
}

const UUID_TEXT_LENGTH = 36;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** Size of the RecordedEvent `writeRecordedEventFromRanges` writes for these ranges. */
export function recordedEventSizeFromRanges(r: LoggedEventRanges): number {
  const uuidSize = 1 + lengthPrefixedSize(UUID_TEXT_LENGTH);
  const streamSize = 1 + lengthPrefixedSize(r.streamLength);
  return (
    1 +
    lengthPrefixedSize(uuidSize) +
    1 +
    lengthPrefixedSize(streamSize) +
    1 +
    varintSize(r.revision) +
    2 * (1 + varintSize(r.position)) +
    1 +
    lengthPrefixedSize(mapEntrySizeOf(TYPE_KEY.length, r.typeLength)) +
    1 +
    lengthPrefixedSize(mapEntrySizeOf(CONTENT_TYPE_KEY.length, r.contentTypeLength)) +
    1 +
    lengthPrefixedSize(mapEntrySizeOf(CREATED_KEY.length, ticksText(r.createdMs).length)) +
    1 +
    lengthPrefixedSize(r.metadataLength) +
    1 +
    lengthPrefixedSize(r.dataLength)
  );
}

/** Writes the same bytes as writeRecordedEvent, taking every part from `source` at `r`'s offsets. */
export function writeRecordedEventFromRanges(
  out: Buffer,
  offset: number,
  source: Buffer,
  r: LoggedEventRanges,
): number {
  let o = writeTag(out, offset, RECORDED_ID, WIRE_LENGTH);
  o = writeVarint(out, o, 1 + lengthPrefixedSize(UUID_TEXT_LENGTH));
  o = writeTag(out, o, UUID_STRING, WIRE_LENGTH);
  o = writeVarint(out, o, UUID_TEXT_LENGTH);
  for (let k = 0; k < 16; k++) {
    if (k === 4 || k === 6 || k === 8 || k === 10) out[o++] = 0x2d;
    const byte = source[r.id + k];
    out[o++] = HEX_DIGITS[byte >> 4];
    out[o++] = HEX_DIGITS[byte & 15];
  }
  o = writeTag(out, o, RECORDED_STREAM, WIRE_LENGTH);
  o = writeVarint(out, o, 1 + lengthPrefixedSize(r.streamLength));
  o = writeTag(out, o, STREAM_NAME, WIRE_LENGTH);
  o = writeRange(out, o, source, r.stream, r.streamLength);
  o = writeTag(out, o, RECORDED_REVISION, WIRE_VARINT);
  o = writeVarint(out, o, r.revision);
  o = writeTag(out, o, RECORDED_PREPARE, WIRE_VARINT);
  o = writeVarint(out, o, r.position);
  o = writeTag(out, o, RECORDED_COMMIT, WIRE_VARINT);
  o = writeVarint(out, o, r.position);
  o = writeMapEntryRange(out, o, TYPE_KEY, source, r.type, r.typeLength);
  o = writeMapEntryRange(out, o, CONTENT_TYPE_KEY, source, r.contentType, r.contentTypeLength);
  o = writeMapEntry(out, o, CREATED_KEY, Buffer.from(ticksText(r.createdMs), 'latin1'));
  o = writeTag(out, o, RECORDED_CUSTOM_METADATA, WIRE_LENGTH);
  o = writeRange(out, o, source, r.metadata, r.metadataLength);
  o = writeTag(out, o, RECORDED_DATA, WIRE_LENGTH);
  return writeRange(out, o, source, r.data, r.dataLength);
}

// Milliseconds to 100 ns ticks: append four zeros to the integer, no BigInt needed.
function ticksText(createdMs: number): string {
  return `${Math.round(createdMs)}${TICKS_PER_MS_ZEROS}`;
}

function writeRange(out: Buffer, offset: number, source: Buffer, at: number, length: number) {
  const o = writeVarint(out, offset, length);
  return o + source.copy(out, o, at, at + length);
}

function writeMapEntryRange(
  out: Buffer,
  offset: number,
  key: Buffer,
  source: Buffer,
  at: number,
  length: number,
): number {
  let o = writeTag(out, offset, RECORDED_METADATA_MAP, WIRE_LENGTH);
  o = writeVarint(out, o, mapEntrySizeOf(key.length, length));
  o = writeTag(out, o, 1, WIRE_LENGTH);
  o = writeBytes(out, o, key);
  o = writeTag(out, o, 2, WIRE_LENGTH);
  return writeRange(out, o, source, at, length);
}

export function writeRecordedEvent(
  out: Buffer,
  offset: number,
  layout: RecordedEventLayout,
): number {
  const { fields } = layout;
  let o = writeTag(out, offset, RECORDED_ID, WIRE_LENGTH);
  o = writeVarint(out, o, layout.uuidSize);
  o = writeTag(out, o, UUID_STRING, WIRE_LENGTH);
  o = writeBytes(out, o, layout.id);
  o = writeTag(out, o, RECORDED_STREAM, WIRE_LENGTH);
  o = writeVarint(out, o, layout.streamSize);
  o = writeTag(out, o, STREAM_NAME, WIRE_LENGTH);
  o = writeBytes(out, o, layout.stream);
  o = writeTag(out, o, RECORDED_REVISION, WIRE_VARINT);
  o = writeVarint(out, o, fields.revision);
  o = writeTag(out, o, RECORDED_PREPARE, WIRE_VARINT);
  o = writeVarint(out, o, fields.position);
  o = writeTag(out, o, RECORDED_COMMIT, WIRE_VARINT);
  o = writeVarint(out, o, fields.position);
  o = writeMapEntry(out, o, TYPE_KEY, layout.type);
  o = writeMapEntry(out, o, CONTENT_TYPE_KEY, layout.contentType);
  o = writeMapEntry(out, o, CREATED_KEY, layout.created);
  o = writeTag(out, o, RECORDED_CUSTOM_METADATA, WIRE_LENGTH);
  o = writeBytes(out, o, fields.metadata);
  o = writeTag(out, o, RECORDED_DATA, WIRE_LENGTH);
  return writeBytes(out, o, fields.data);
}

function mapEntrySize(key: Buffer, value: Buffer): number {
  return mapEntrySizeOf(key.length, value.length);
}

function mapEntrySizeOf(keyLength: number, valueLength: number): number {
  return 1 + lengthPrefixedSize(keyLength) + 1 + lengthPrefixedSize(valueLength);
}

function writeMapEntry(out: Buffer, offset: number, key: Buffer, value: Buffer): number {
  let o = writeTag(out, offset, RECORDED_METADATA_MAP, WIRE_LENGTH);
  o = writeVarint(out, o, mapEntrySize(key, value));
  o = writeTag(out, o, 1, WIRE_LENGTH);
  o = writeBytes(out, o, key);
  o = writeTag(out, o, 2, WIRE_LENGTH);
  return writeBytes(out, o, value);
}

// Swaps the string id (always the first field of a stored RecordedEvent) for the structured form,
// for clients that ask for uuid_option.structured.
export function withStructuredId(recorded: Buffer, id: string): Buffer {
  const [uuidLength, afterLength] = readVarint(recorded, 1);
  const rest = recorded.subarray(afterLength + uuidLength);
  const hex = id.replace(/-/g, '');
  const most = BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`));
  const least = BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`));
  const inner = Buffer.concat([
    tagged(1, WIRE_VARINT, varintBytes(BigInt.asUintN(64, most))),
    tagged(2, WIRE_VARINT, varintBytes(BigInt.asUintN(64, least))),
  ]);
  const structured = tagged(
    UUID_STRUCTURED,
    WIRE_LENGTH,
    Buffer.concat([varintBytes(inner.length), inner]),
  );
  const uuid = tagged(
    RECORDED_ID,
    WIRE_LENGTH,
    Buffer.concat([varintBytes(structured.length), structured]),
  );
  return Buffer.concat([uuid, rest]);
}

export function encodeEventResponse(
  event: Buffer | undefined,
  link: Buffer | undefined,
  commitPosition: number,
): Buffer {
  let readEventSize = 1 + varintSize(commitPosition);
  if (event) readEventSize += 1 + lengthPrefixedSize(event.length);
  if (link) readEventSize += 1 + lengthPrefixedSize(link.length);
  const out = Buffer.allocUnsafe(1 + lengthPrefixedSize(readEventSize));
  let o = writeTag(out, 0, RESP_EVENT, WIRE_LENGTH);
  o = writeVarint(out, o, readEventSize);
  if (event) {
    o = writeTag(out, o, READ_EVENT_EVENT, WIRE_LENGTH);
    o = writeBytes(out, o, event);
  }
  if (link) {
    o = writeTag(out, o, READ_EVENT_LINK, WIRE_LENGTH);
    o = writeBytes(out, o, link);
  }
  o = writeTag(out, o, READ_EVENT_COMMIT, WIRE_VARINT);
  writeVarint(out, o, commitPosition);
  return out;
}

export function encodeConfirmation(subscriptionId: string): Buffer {
  return tagged(
    RESP_CONFIRMATION,
    WIRE_LENGTH,
    lengthPrefixed(tagged(1, WIRE_LENGTH, lengthPrefixed(Buffer.from(subscriptionId)))),
  );
}

export function encodeCheckpoint(position: number): Buffer {
  const inner = Buffer.concat([
    tagged(1, WIRE_VARINT, varintBytes(position)),
    tagged(2, WIRE_VARINT, varintBytes(position)),
  ]);
  return tagged(RESP_CHECKPOINT, WIRE_LENGTH, lengthPrefixed(inner));
}

export function encodeCaughtUp(): Buffer {
  return tagged(RESP_CAUGHT_UP, WIRE_LENGTH, varintBytes(0));
}

export function encodeStreamNotFound(streamName: string): Buffer {
  const identifier = tagged(
    STREAM_NAME,
    WIRE_LENGTH,
    lengthPrefixed(Buffer.from(streamName, 'utf8')),
  );
  return tagged(
    RESP_STREAM_NOT_FOUND,
    WIRE_LENGTH,
    lengthPrefixed(tagged(1, WIRE_LENGTH, lengthPrefixed(identifier))),
  );
}

function tagged(field: number, wire: number, body: Buffer): Buffer {
  return Buffer.concat([varintBytes((field << 3) | wire), body]);
}

function lengthPrefixed(body: Buffer): Buffer {
  return Buffer.concat([varintBytes(body.length), body]);
}

function lengthPrefixedSize(length: number): number {
  return varintSize(length) + length;
}

function varintSize(value: number | bigint): number {
  if (typeof value === 'number') {
    let size = 1;
    let v = value;
    while (v >= 0x80) {
      v = Math.floor(v / 128);
      size += 1;
    }
    return size;
  }
  let v = value;
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size += 1;
  }
  return size;
}

function varintBytes(value: number | bigint): Buffer {
  const out = Buffer.allocUnsafe(varintSize(value));
  writeVarint(out, 0, value);
  return out;
}

function writeTag(out: Buffer, offset: number, field: number, wire: number): number {
  return writeVarint(out, offset, (field << 3) | wire);
}

function writeBytes(out: Buffer, offset: number, bytes: Buffer): number {
  const o = writeVarint(out, offset, bytes.length);
  return o + bytes.copy(out, o);
}

function writeVarint(out: Buffer, offset: number, value: number | bigint): number {
  if (typeof value === 'number' && value < 0x80000000) {
    let v = value;
    while (v >= 0x80) {
      out[offset++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[offset++] = v;
    return offset;
  }
  let v = BigInt(value);
  while (v >= 0x80n) {
    out[offset++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[offset++] = Number(v);
  return offset;
}

function readVarint(buffer: Buffer, offset: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = buffer[offset++];
    result += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [result, offset];
    shift += 7;
  }
}
