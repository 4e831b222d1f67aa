import { crc32 } from 'node:zlib';

// Frames are `[u32 payload length][u32 crc32(payload)][payload]`. Recovery must tell two things
// apart: a torn tail (the last write, never acknowledged, cut short by a crash: a prefix of valid
// frames) and damage (a frame that was complete once and no longer verifies). Only the first may
// be cut without asking; the second is acknowledged data and needs an operator's decision.

export const FRAME_HEADER_SIZE = 8;

/** Frames a payload: `[u32 length][u32 crc32(payload)][payload]`. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

export interface ScannedFrame {
  offset: number;
  /** Header plus payload. */
  size: number;
  payload: Buffer;
}

export interface DamagedRegion {
  offset: number;
  bytes: number;
  reason: string;
}

export interface TailReport {
  offset: number;
  bytes: number;
  reason: string;
}

export interface ScanResult {
  fileSize: number;
  /** Where each verified frame is (payloads go to `onFrame` only, so big files are not held). */
  frames: { offset: number; size: number }[];
  /** Regions that no frame verifies in, each followed by a frame that does (or damaged tail). */
  damage: DamagedRegion[];
  /** An incomplete last write: safe to cut. */
  torn: TailReport | undefined;
}

/** Reads ranges of a file; implementations may cache a window. */
export type ByteSource = (position: number, length: number) => Buffer;

export interface ScanOptions {
  minPayload: number;
  maxPayload: number;
  /** Extra check on a payload whose checksum matches (e.g. it decodes); a message when it fails. */
  verify?: (payload: Buffer) => string | undefined;
}

type Probe =
  | { ok: true; frame: ScannedFrame }
  | { ok: false; incomplete: boolean; reason: string; checksum?: number };

function probe(read: ByteSource, size: number, offset: number, options: ScanOptions): Probe {
  if (size - offset < FRAME_HEADER_SIZE)
    return { ok: false, incomplete: true, reason: 'short header' };
  const header = read(offset, FRAME_HEADER_SIZE);
  const length = header.readUInt32LE(0);
  const checksum = header.readUInt32LE(4);
  if (length < options.minPayload || length > options.maxPayload)
    return { ok: false, incomplete: false, reason: `implausible frame length ${length}` };
  if (offset + FRAME_HEADER_SIZE + length > size)
    return { ok: false, incomplete: true, reason: 'frame extends past end of file', checksum };
  const payload = read(offset + FRAME_HEADER_SIZE, length);
  if (crc32(payload) !== checksum)
    return { ok: false, incomplete: false, reason: 'checksum mismatch' };
  const problem = options.verify?.(payload);
  if (problem) return { ok: false, incomplete: false, reason: problem };
  return { ok: true, frame: { offset, size: FRAME_HEADER_SIZE + length, payload } };
}

/**
 * Walks every frame of a file. After a frame that does not verify it searches the rest of the file
 * for the next one that does: found, the bytes between are damage; not found, the rest is a tail,
 * torn only if it looks like an interrupted write (a prefix of a frame, or zeros).
 */
export function scanFrames(
  read: ByteSource,
  size: number,
  options: ScanOptions,
  onFrame?: (frame: ScannedFrame) => void,
): ScanResult {
  const result: ScanResult = { fileSize: size, frames: [], damage: [], torn: undefined };
  const keep = (frame: ScannedFrame) => {
    if (onFrame) onFrame(frame);
    result.frames.push({ offset: frame.offset, size: frame.size });
  };
  let offset = 0;
  while (offset < size) {
    const first = probe(read, size, offset, options);
    if (first.ok) {
      keep(first.frame);
      offset += first.frame.size;
      continue;
    }
    let next: ScannedFrame | undefined;
    for (let p = offset + 1; p + FRAME_HEADER_SIZE + options.minPayload <= size; p++) {
      const candidate = probe(read, size, p, options);
      if (candidate.ok) {
        next = candidate.frame;
        break;
      }
    }
    if (next) {
      result.damage.push({ offset, bytes: next.offset - offset, reason: first.reason });
      offset = next.offset;
      continue;
    }
    const bytes = size - offset;
    if (first.incomplete && !completeFrameWithBadLength(read, size, offset, first.checksum)) {
      result.torn = { offset, bytes, reason: first.reason };
    } else if (isZeros(read(offset, bytes))) {
      result.torn = { offset, bytes, reason: 'zero-filled tail' };
    } else if (cutByUnwrittenSectors(read, size, offset)) {
      result.torn = { offset, bytes, reason: 'the write ends in unwritten (zero) sectors' };
    } else {
      result.damage.push({ offset, bytes, reason: first.reason });
    }
    break;
  }
  return result;
}

// A last frame whose length field was damaged looks like one extending past the end; its checksum
// over the bytes that are there tells it apart from a write that really was cut short.
function completeFrameWithBadLength(
  read: ByteSource,
  size: number,
  offset: number,
  checksum: number | undefined,
): boolean {
  if (checksum === undefined) return false;
  const rest = read(offset + FRAME_HEADER_SIZE, size - offset - FRAME_HEADER_SIZE);
  return rest.length > 0 && crc32(rest) === checksum;
}

export const SECTOR_SIZE = 512;

// A cut after the file's new size reached the disk but before all of the data did leaves the last
// frame's remaining sectors reading as zeros. That is what a cut can leave: the frame claims to
// reach into sectors that are zero from a sector boundary to the end of the file.
function cutByUnwrittenSectors(read: ByteSource, size: number, offset: number): boolean {
  if (size - offset < FRAME_HEADER_SIZE) return false;
  const frameEnd = offset + FRAME_HEADER_SIZE + read(offset, 4).readUInt32LE(0);
  const tail = read(offset, size - offset);
  let lastNonZero = tail.length - 1;
  while (lastNonZero >= 0 && tail[lastNonZero] === 0) lastNonZero--;
  const boundary = Math.ceil((offset + lastNonZero + 1) / SECTOR_SIZE) * SECTOR_SIZE;
  return boundary < size && boundary < frameEnd;
}

function isZeros(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

/** A byte source over a whole buffer. */
export function bufferSource(buffer: Buffer): ByteSource {
  return (position, length) => buffer.subarray(position, position + length);
}

/** A byte source that reads a file through a sliding window, so large files stream. */
export function windowedSource(
  readAt: (position: number, length: number) => Buffer,
  windowSize = 64 * 1024 * 1024,
): ByteSource {
  let windowStart = 0;
  let window: Buffer = Buffer.alloc(0);
  return (position, length) => {
    if (position >= windowStart && position + length <= windowStart + window.length)
      return window.subarray(position - windowStart, position - windowStart + length);
    if (length > windowSize) return readAt(position, length);
    windowStart = position;
    window = readAt(position, windowSize);
    return window.subarray(0, length);
  };
}

/** The message an operator gets for damage: which file, where, and how much follows. */
export function describeDamage(file: string, scan: ScanResult): string {
  const first = scan.damage[0];
  const following = scan.frames.filter((f) => f.offset > first.offset).length;
  const lost = scan.damage.reduce((sum, d) => sum + d.bytes, 0);
  return (
    `${file} is damaged at offset ${first.offset} (${first.reason}); ` +
    `${following} readable frame(s) follow, ${scan.damage.length} damaged region(s), ${lost} byte(s) unreadable. ` +
    `Refusing to start so that nothing acknowledged is dropped silently; ` +
    `restart with --repair to set the file aside and keep every frame that still verifies`
  );
}

export class DamagedFileError extends Error {
  readonly code = 'DATA_FILE_DAMAGED';
  constructor(
    readonly file: string,
    readonly scan: ScanResult,
    problem?: string,
  ) {
    super(
      scan.damage.length > 0
        ? describeDamage(file, scan)
        : `${file} is damaged (${problem}); refusing to start; restart with --repair to keep what verifies`,
    );
  }
}
