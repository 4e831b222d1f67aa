import { crc32 } from 'node:zlib';

// The index checkpoint of a sealed chunk: every index column of the chunk's events plus the names
// they use, so a restart loads it instead of decoding the chunk. Layout:
//   'ESIX' | u8 version | 3 zero bytes | u32 crc32(body) | body
//   body: f64 chunk base | f64 chunk size | f64 last event frame (chunk offset, -1: none)
//         | u32 that frame's crc32 field | u32 events | u32 JSON length | JSON | zeros to 8 bytes
//         | f64 position[n] | f64 created[n] | f64 frame[n]
//         | u32 stream[n] | u32 type[n] | u8 flags[n] | 16 id bytes[n]
// Stream and type numbers are local to the file (JSON names them). It is a cache of what the
// chunk holds: one that does not verify, or does not match its chunk, is rebuilt from the chunk.

const MAGIC = 0x58495345; // 'ESIX' little-endian
const VERSION = 2;
const HEADER = 12;
const FIXED = 8 * 3 + 4 * 3;
const ROW_BYTES = 8 * 3 + 4 * 2 + 1 + 16;

export interface ChunkIndexNames {
  streams: string[];
  types: string[];
  /** Table-local row -> metadata JSON of a metastream event. */
  metadata: [number, string][];
  /** Table-local row -> the stream and revision a link event points to. */
  links: [number, string, number][];
}

export interface ChunkIndexData {
  chunkBase: number;
  chunkSize: number;
  lastFrame: number;
  lastFrameCrc: number;
  count: number;
  names: ChunkIndexNames;
  position: Float64Array;
  created: Float64Array;
  frame: Float64Array;
  stream: Uint32Array;
  type: Uint32Array;
  flags: Uint8Array;
  ids: Buffer;
}

export function encodeChunkIndex(data: ChunkIndexData): Buffer {
  const json = Buffer.from(JSON.stringify(data.names), 'utf8');
  const n = data.count;
  const jsonEnd = align8(HEADER + FIXED + json.length);
  const size = jsonEnd + n * ROW_BYTES;
  const out = Buffer.alloc(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt8(VERSION, 4);
  let at = HEADER;
  at = out.writeDoubleLE(data.chunkBase, at);
  at = out.writeDoubleLE(data.chunkSize, at);
  at = out.writeDoubleLE(data.lastFrame, at);
  at = out.writeUInt32LE(data.lastFrameCrc, at);
  at = out.writeUInt32LE(n, at);
  at = out.writeUInt32LE(json.length, at);
  json.copy(out, at);
  at = jsonEnd;
  for (const column of [data.position, data.created, data.frame]) {
    at += bytesOf(column.subarray(0, n)).copy(out, at);
  }
  for (const column of [data.stream, data.type]) at += bytesOf(column.subarray(0, n)).copy(out, at);
  at += bytesOf(data.flags.subarray(0, n)).copy(out, at);
  data.ids.copy(out, at, 0, n * 16);
  out.writeUInt32LE(crc32(out.subarray(HEADER)), 8);
  return out;
}

/** The number of events a checkpoint holds, from its header (not verified). */
export function chunkIndexCount(header: Buffer): number | undefined {
  if (header.length < HEADER + FIXED || header.readUInt32LE(0) !== MAGIC) return undefined;
  return header.readUInt32LE(HEADER + 28);
}

export const CHUNK_INDEX_HEADER_BYTES = HEADER + FIXED;

/** Decodes and verifies a checkpoint; throws with the reason when it does not verify. */
export function decodeChunkIndex(bytes: Buffer): ChunkIndexData {
  if (bytes.length < HEADER + FIXED) throw new Error('shorter than its header');
  if (bytes.readUInt32LE(0) !== MAGIC) throw new Error('not an index checkpoint');
  if (bytes.readUInt8(4) !== VERSION) throw new Error(`unknown version ${bytes.readUInt8(4)}`);
  if (crc32(bytes.subarray(HEADER)) !== bytes.readUInt32LE(8)) throw new Error('checksum mismatch');
  let at = HEADER;
  const chunkBase = bytes.readDoubleLE(at);
  const chunkSize = bytes.readDoubleLE(at + 8);
  const lastFrame = bytes.readDoubleLE(at + 16);
  const lastFrameCrc = bytes.readUInt32LE(at + 24);
  const count = bytes.readUInt32LE(at + 28);
  const jsonLength = bytes.readUInt32LE(at + 32);
  at += FIXED;
  const jsonEnd = align8(at + jsonLength);
  if (bytes.length !== jsonEnd + count * ROW_BYTES)
    throw new Error('length does not match its event count');
  const names = JSON.parse(bytes.toString('utf8', at, at + jsonLength)) as ChunkIndexNames;
  at = jsonEnd;
  // Columns are views into the file's bytes where aligned (they are, in a buffer of its own), so
  // a start copies each column once, into the table.
  const f64 = () => {
    const start = bytes.byteOffset + at;
    at += count * 8;
    if (start % 8 === 0) return new Float64Array(bytes.buffer, start, count);
    const column = new Float64Array(count);
    bytes.copy(bytesOf(column), 0, at - count * 8, at);
    return column;
  };
  const u32 = () => {
    const start = bytes.byteOffset + at;
    at += count * 4;
    if (start % 4 === 0) return new Uint32Array(bytes.buffer, start, count);
    const column = new Uint32Array(count);
    bytes.copy(bytesOf(column), 0, at - count * 4, at);
    return column;
  };
  const position = f64();
  const created = f64();
  const frame = f64();
  const stream = u32();
  const type = u32();
  const flags = bytes.subarray(at, at + count);
  at += count;
  const ids = bytes.subarray(at, at + count * 16);
  return {
    chunkBase,
    chunkSize,
    lastFrame,
    lastFrameCrc,
    count,
    names,
    position,
    created,
    frame,
    stream,
    type,
    flags,
    ids,
  };
}

function bytesOf(column: Float64Array | Uint32Array | Uint8Array): Buffer {
  return Buffer.from(column.buffer, column.byteOffset, column.byteLength);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
