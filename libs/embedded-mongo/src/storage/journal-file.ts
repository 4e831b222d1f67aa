import { crc32 } from 'node:zlib';
import { closeSync, ftruncateSync, openSync, readFileSync, fsyncSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

const FRAME_HEADER = 8;

/** `[u32 length][u32 crc32][payload]`: a torn or corrupt tail is detected by length or checksum. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER);
  return out;
}

/** Reads the intact frames of a file; `validLength` is where the last intact frame ends. */
export function readFrames(path: string): {
  payloads: Buffer[];
  validLength: number;
  fileLength: number;
} {
  const data = readFileSync(path);
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset + FRAME_HEADER <= data.length) {
    const length = data.readUInt32LE(offset);
    const end = offset + FRAME_HEADER + length;
    if (end > data.length) break;
    const payload = data.subarray(offset + FRAME_HEADER, end);
    if (crc32(payload) !== data.readUInt32LE(offset + 4)) break;
    payloads.push(payload);
    offset = end;
  }
  return { payloads, validLength: offset, fileLength: data.length };
}

export function truncateFile(path: string, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, length);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * An append-only journal with group commit: records appended while a write+fsync is in flight are
 * written together by the next one, so concurrent connections share the cost of one fsync.
 */
export class JournalFile {
  private pending: Buffer[] = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private flushing: Promise<void> | undefined;
  private bytes = 0;
  /** Records appended and fsyncs done: records per fsync shows how much group commit shares. */
  readonly stats = { records: 0, flushes: 0 };

  private constructor(
    private handle: FileHandle,
    readonly path: string,
    size: number,
  ) {
    this.bytes = size;
  }

  static async open(path: string): Promise<JournalFile> {
    const handle = await open(path, 'a');
    const { size } = await handle.stat();
    return new JournalFile(handle, path, size);
  }

  get size(): number {
    return this.bytes;
  }

  append(payload: Uint8Array): Promise<void> {
    const framed = frame(payload);
    this.pending.push(framed);
    this.bytes += framed.length;
    this.stats.records++;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flushLoop();
    return done;
  }

  /** Waits until everything appended so far is on disk. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const buffers = this.pending;
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        try {
          const data = buffers.length === 1 ? buffers[0] : Buffer.concat(buffers);
          let written = 0;
          while (written < data.length) {
            const { bytesWritten } = await this.handle.write(data, written);
            written += bytesWritten;
          }
          await this.handle.datasync();
          this.stats.flushes++;
          for (const w of waiters) w.resolve();
        } catch (error) {
          for (const w of waiters) w.reject(error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  async close(): Promise<void> {
    await this.drain();
    await this.handle.close();
  }
}
