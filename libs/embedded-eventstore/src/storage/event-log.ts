import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoggedEvent, readFrame } from './log-frame.codec';

// Where committed frames go. Offsets are reserved synchronously so the store can stamp positions
// into a frame before handing it over; `append` resolves once the frame is durable.
export interface EventLog {
  readonly endOffset: number;
  append(frame: Buffer): Promise<void>;
  close(): Promise<void>;
}

export class MemoryEventLog implements EventLog {
  endOffset = 0;

  append(frame: Buffer): Promise<void> {
    this.endOffset += frame.length;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface PendingWrite {
  frame: Buffer;
  resolve(): void;
  reject(error: Error): void;
}

export interface RecoveryReport {
  frames: number;
  events: number;
  truncatedBytes: number;
  truncationReason?: string;
}

const LOG_FILE = 'events.log';
const LOCK_FILE = 'LOCK';
const RECOVERY_CHUNK = 64 * 1024 * 1024;

// Append-only file with group commit: while one write+fdatasync is in flight, later frames queue
// up and are flushed together by the next round, so N concurrent appends cost one fsync, not N.
export class FileEventLog implements EventLog {
  private queue: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private writeOffset: number;
  // Number of write+fdatasync rounds so far: with group commit, far fewer than appends.
  flushes = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly lockPath: string,
    public endOffset: number,
  ) {
    this.writeOffset = endOffset;
  }

  // Replays every intact frame through `onFrame`, cuts off a torn or corrupt tail, then opens
  // the file for appending.
  static async open(
    dataDir: string,
    onFrame: (events: LoggedEvent[], offset: number) => void,
  ): Promise<{ log: FileEventLog; recovery: RecoveryReport }> {
    mkdirSync(dataDir, { recursive: true });
    const lockPath = acquireLock(dataDir);
    try {
      const path = join(dataDir, LOG_FILE);
      const recovery = recoverFile(path, onFrame);
      const handle = await open(path, existsSync(path) ? 'r+' : 'w+');
      const { size } = await handle.stat();
      const validEnd = size - recovery.truncatedBytes;
      if (recovery.truncatedBytes > 0) {
        await handle.truncate(validEnd);
        await handle.sync();
      }
      return { log: new FileEventLog(handle, lockPath, validEnd), recovery };
    } catch (error) {
      await unlink(lockPath).catch(() => undefined);
      throw error;
    }
  }

  append(frame: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.endOffset += frame.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.handle.close();
    await unlink(this.lockPath).catch(() => undefined);
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const bytes =
          batch.length === 1 ? batch[0].frame : Buffer.concat(batch.map((p) => p.frame));
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await this.handle.write(
            bytes,
            written,
            bytes.length - written,
            this.writeOffset + written,
          );
          written += bytesWritten;
        }
        await this.handle.datasync();
        this.flushes += 1;
        this.writeOffset += bytes.length;
        for (const pending of batch) pending.resolve();
      } catch (error) {
        // After a failed write or fsync the file tail is unknown: refuse everything from now on,
        // recovery on the next start decides what survived.
        this.failure = new Error(`event log write failed: ${(error as Error).message}`);
        for (const pending of [...batch, ...this.queue]) pending.reject(this.failure);
        this.queue = [];
      }
    }
    this.flushing = undefined;
  }
}

function recoverFile(
  path: string,
  onFrame: (events: LoggedEvent[], offset: number) => void,
): RecoveryReport {
  const report: RecoveryReport = { frames: 0, events: 0, truncatedBytes: 0 };
  if (!existsSync(path)) return report;
  const fd = openSync(path, 'r');
  try {
    let fileOffset = 0;
    let carry = Buffer.alloc(0);
    let eof = false;
    while (!eof) {
      const chunk = Buffer.allocUnsafe(RECOVERY_CHUNK);
      const read = readSync(fd, chunk, 0, chunk.length, fileOffset + carry.length);
      eof = read === 0;
      const buffer =
        carry.length > 0
          ? Buffer.concat([carry, chunk.subarray(0, read)])
          : chunk.subarray(0, read);
      let offset = 0;
      for (;;) {
        const result = readFrame(buffer, offset);
        if (result.kind === 'end') break;
        if (result.kind === 'torn') {
          // Incomplete frames at a chunk boundary are completed by the next read; only at end of
          // file is an incomplete frame a torn tail.
          if (result.incomplete && !eof) break;
          report.truncatedBytes = buffer.length - offset;
          report.truncationReason = result.reason;
          return report;
        }
        onFrame(result.events, fileOffset + offset);
        report.frames += 1;
        report.events += result.events.length;
        offset = result.nextOffset;
      }
      fileOffset += offset;
      carry = Buffer.from(buffer.subarray(offset));
    }
    return report;
  } finally {
    closeSync(fd);
  }
}

function acquireLock(dataDir: string): string {
  const lockPath = join(dataDir, LOCK_FILE);
  if (existsSync(lockPath)) {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
      throw new Error(`data directory ${dataDir} is in use by process ${pid}`);
    }
  }
  writeFileSync(lockPath, String(process.pid));
  return lockPath;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
