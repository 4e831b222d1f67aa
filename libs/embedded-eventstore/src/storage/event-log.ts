import { join } from 'node:path';
import {
  DamagedFileError,
  type DataFile,
  type FileSystem,
  FRAME_HEADER_SIZE,
  lockDataDir,
  nodeFileSystem,
  type ScanOptions,
  type ScanResult,
  scanFrames,
  windowedSource,
} from '@app/embedded-storage';
import {
  decodePayload,
  encodeFrame,
  encodePaddingFrame,
  type LoggedEvent,
  MAX_FRAME_PAYLOAD,
  TOMBSTONE_FLAG,
} from './log-frame.codec';

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
  file: string;
  frames: number;
  events: number;
  truncatedBytes: number;
  truncatedAt?: number;
  truncationReason?: string;
}

export interface LogOpenOptions {
  fs?: FileSystem;
  /** Where recovery tells what it did (one summary line per start, more when it cut something). */
  log?: (line: string) => void;
}

export const LOG_FILE = 'events.log';
const LOCK_FILE = 'LOCK';

const SCAN_OPTIONS: ScanOptions = {
  minPayload: 1,
  maxPayload: MAX_FRAME_PAYLOAD,
  verify: (payload) => {
    try {
      decodePayload(payload);
      return undefined;
    } catch (error) {
      return `undecodable payload: ${(error as Error).message}`;
    }
  },
};

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
    private readonly handle: DataFile,
    private readonly fs: FileSystem,
    private readonly lockPath: string,
    public endOffset: number,
  ) {
    this.writeOffset = endOffset;
  }

  // Replays every verified frame through `onFrame`. A torn tail (an interrupted last write, never
  // acknowledged) is cut and reported; damage anywhere else stops the start with DamagedFileError.
  static async open(
    dataDir: string,
    onFrame: (events: LoggedEvent[], offset: number) => void,
    options: LogOpenOptions = {},
  ): Promise<{ log: FileEventLog; recovery: RecoveryReport }> {
    const fs = options.fs ?? nodeFileSystem;
    fs.mkdir(dataDir);
    const lockPath = lockDataDir(fs, dataDir, LOCK_FILE);
    let handle: DataFile | undefined;
    try {
      const path = join(dataDir, LOG_FILE);
      const created = !fs.exists(path);
      handle = await fs.open(path);
      if (created) fs.syncDir(dataDir);
      const file = handle;
      const recovery: RecoveryReport = { file: path, frames: 0, events: 0, truncatedBytes: 0 };
      const scan = scanFrames(
        windowedSource((position, length) => file.read(position, length)),
        file.size(),
        SCAN_OPTIONS,
        (frame) => {
          const events = decodePayload(frame.payload);
          if (events.length > 0) onFrame(events, frame.offset);
          recovery.frames += 1;
          recovery.events += events.length;
        },
      );
      if (scan.damage.length > 0) throw new DamagedFileError(path, scan);
      let validEnd = file.size();
      if (scan.torn) {
        validEnd = scan.torn.offset;
        recovery.truncatedBytes = scan.torn.bytes;
        recovery.truncatedAt = scan.torn.offset;
        recovery.truncationReason = scan.torn.reason;
        options.log?.(
          `cut a torn tail of ${path}: ${scan.torn.bytes} byte(s) at offset ${scan.torn.offset} ` +
            `(${scan.torn.reason}), the unacknowledged remains of 1 incomplete frame`,
        );
        await file.truncate(validEnd);
        await file.datasync();
      }
      options.log?.(
        `recovery: ${path}: ${recovery.frames} frame(s), ${recovery.events} event(s), ` +
          `${recovery.truncatedBytes} torn byte(s) cut, no damage`,
      );
      return { log: new FileEventLog(file, fs, lockPath, validEnd), recovery };
    } catch (error) {
      await handle?.close().catch(() => undefined);
      fs.unlink(lockPath);
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
    this.fs.unlink(this.lockPath);
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const bytes =
          batch.length === 1 ? batch[0].frame : Buffer.concat(batch.map((p) => p.frame));
        await this.handle.write(bytes, this.writeOffset);
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

export interface RepairReport {
  file: string;
  setAside: string;
  reportFile: string;
  damage: ScanResult['damage'];
  tornBytes: number;
  framesKept: number;
  eventsKept: number;
  /** Events whose frame verifies but whose stream lost an earlier revision in the damage. */
  eventsSetAside: { stream: string; revision: number; id: string; type: string }[];
}

/**
 * `--repair`: when the log is damaged, moves it aside (never deleted), writes a new log of every
 * frame that still verifies and a JSON report of what was lost. Events after a hole in their own
 * stream cannot keep their revision numbers and are listed in the report instead of served; the
 * set-aside file still holds their bytes. Returns undefined when there was nothing to repair.
 */
export async function repairEventLog(
  dataDir: string,
  options: LogOpenOptions = {},
): Promise<RepairReport | undefined> {
  const fs = options.fs ?? nodeFileSystem;
  const path = join(dataDir, LOG_FILE);
  if (!fs.exists(path)) return undefined;
  const source = await fs.open(path);
  const read = windowedSource((position, length) => source.read(position, length));
  let scan: ScanResult;
  try {
    scan = scanFrames(read, source.size(), SCAN_OPTIONS);
  } catch (error) {
    await source.close();
    throw error;
  }
  if (scan.damage.length === 0) {
    await source.close();
    return undefined;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const tmpPath = `${path}.repair.tmp`;
  fs.unlink(tmpPath);
  const out = await fs.open(tmpPath);
  const report: RepairReport = {
    file: path,
    setAside: `${path}.damaged-${stamp}`,
    reportFile: join(dataDir, `repair-${stamp}.json`),
    damage: scan.damage,
    tornBytes: scan.torn?.bytes ?? 0,
    framesKept: 0,
    eventsKept: 0,
    eventsSetAside: [],
  };
  try {
    const nextRevision = new Map<string, number>();
    let writeAt = 0;
    // Damaged bytes held positions too.
    let originalEnd = Math.max(0, ...scan.damage.map((d) => d.offset + d.bytes));
    for (const { offset, size } of scan.frames) {
      const payload = read(offset + FRAME_HEADER_SIZE, size - FRAME_HEADER_SIZE);
      const events = decodePayload(payload);
      const kept = events.filter((event) => {
        if ((event.flags & TOMBSTONE_FLAG) !== 0) return true;
        const expected = nextRevision.get(event.streamName) ?? 0;
        if (event.revision !== expected) {
          report.eventsSetAside.push({
            stream: event.streamName,
            revision: event.revision,
            id: event.id,
            type: event.type,
          });
          return false;
        }
        nextRevision.set(event.streamName, expected + 1);
        return true;
      });
      originalEnd = Math.max(originalEnd, offset + size);
      if (events.length > 0 && kept.length === 0) continue;
      const frame = kept.length === events.length ? read(offset, size) : encodeFrame(kept);
      await out.write(Buffer.from(frame), writeAt);
      writeAt += frame.length;
      report.framesKept += 1;
      report.eventsKept += kept.length;
    }
    // New appends take their positions from the end of the log: keep it at least where the old
    // one ended so positions only ever grow.
    if (writeAt < originalEnd) {
      const padding = encodePaddingFrame(Math.max(originalEnd - writeAt, FRAME_HEADER_SIZE + 1));
      await out.write(padding, writeAt);
    }
    await out.datasync();
  } finally {
    await out.close();
    await source.close();
  }
  fs.rename(path, report.setAside);
  fs.rename(tmpPath, path);
  const reportFile = await fs.open(report.reportFile);
  await reportFile.write(Buffer.from(`${JSON.stringify(report, null, 2)}\n`), 0);
  await reportFile.datasync();
  await reportFile.close();
  fs.syncDir(dataDir);
  const lostBytes = scan.damage.reduce((sum, d) => sum + d.bytes, 0);
  options.log?.(
    `repair: ${path} had ${scan.damage.length} damaged region(s) (${lostBytes} byte(s), first at offset ` +
      `${scan.damage[0].offset}); kept ${report.framesKept} frame(s) with ${report.eventsKept} event(s); ` +
      `${report.eventsSetAside.length} event(s) set aside after holes in their streams; ` +
      `original moved to ${report.setAside}; report in ${report.reportFile}`,
  );
  return report;
}
