import { join } from 'node:path';
import {
  DamagedFileError,
  type DataFile,
  type FileSystem,
  FRAME_HEADER_SIZE,
  lockDataDir,
  nodeFileSystem,
  type ByteSource,
  type ScanOptions,
  type ScanResult,
  scanFrames,
  windowedSource,
} from '@app/embedded-storage';
import {
  decodePayload,
  encodeFrame,
  forEachEventRanges,
  encodePaddingFrame,
  type LoggedEvent,
  MAX_FRAME_PAYLOAD,
  TOMBSTONE_FLAG,
} from './log-frame.codec';

// Where committed frames go. Offsets are reserved synchronously so the store can stamp positions
// into a frame before handing it over; `append` resolves once the frame is durable. A file log
// also reads committed frames back (`read`), so event payloads need not stay in memory.
export interface EventLog {
  readonly endOffset: number;
  append(frame: Buffer): Promise<void>;
  close(): Promise<void>;
  /**
   * Up to `length` durable bytes from a logical offset, never past the end of its chunk, read into
   * the start of `target` (at least `length` bytes long); returns the part of `target` filled.
   */
  readInto?(offset: number, length: number, target: Buffer): Buffer;
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
  offset: number;
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
  /** Chunk files of the log, and how many of them were read through their index checkpoint. */
  chunks?: number;
  chunksFromIndex?: number;
  eventsFromIndex?: number;
}

// Chunks are scanned through a window of this size (not the default 64 MiB: a start's transient
// buffers stay small next to the index it builds).
const SCAN_WINDOW = 4 * 1024 * 1024;

/** Reads bytes of one chunk file at an offset within it. */
export type ChunkReader = (position: number, length: number) => Buffer;

/** One chunk file: its logical offsets are [base, base + size). */
export interface ChunkInfo {
  readonly path: string;
  readonly base: number;
  size: number;
}

export interface LogOpenOptions {
  fs?: FileSystem;
  /** Where recovery tells what it did (one summary line per start, more when it cut something). */
  log?: (line: string) => void;
  /** A chunk is sealed and a new one begun once the next frame would take it past this size. */
  chunkSize?: number;
  /**
   * Loads a sealed chunk's index checkpoint instead of scanning it; returns the number of events
   * loaded, or undefined when the checkpoint is missing or does not verify (the chunk is scanned).
   */
  loadIndex?: (chunk: ChunkInfo, read: ChunkReader) => number | undefined;
  /** Called once at start with the sealed chunks, before any is loaded or scanned. */
  beforeLoad?: (sealed: readonly ChunkInfo[]) => Promise<void>;
  /** A chunk was sealed (at roll-over, or found sealed without a usable index at start). */
  onSealed?: (chunk: ChunkInfo, read: ChunkReader) => void;
}

export const LOG_FILE = 'events.log';
export const DEFAULT_CHUNK_SIZE = 256 * 1024 * 1024;
const LOCK_FILE = 'LOCK';
/** A sealed chunk's index checkpoint sits next to it under this suffix. */
export const INDEX_SUFFIX = '.idx';
const CHUNK_FILE = /^events-([0-9a-f]{12})\.log$/;

/** The first chunk keeps the name `events.log` (data directories from before chunks open as is). */
export function chunkFileName(base: number): string {
  return base === 0 ? LOG_FILE : `events-${base.toString(16).padStart(12, '0')}.log`;
}

function chunkBaseOf(name: string): number | undefined {
  if (name === LOG_FILE) return 0;
  const match = CHUNK_FILE.exec(name);
  return match ? parseInt(match[1], 16) : undefined;
}

/** Chunk files of a data directory, in log order. */
export function listChunks(fs: FileSystem, dataDir: string): { path: string; base: number }[] {
  const chunks: { path: string; base: number }[] = [];
  for (const name of fs.readdir(dataDir)) {
    const base = chunkBaseOf(name);
    if (base !== undefined) chunks.push({ path: join(dataDir, name), base });
  }
  return chunks.sort((a, b) => a.base - b.base);
}

const SCAN_OPTIONS: ScanOptions = {
  minPayload: 1,
  maxPayload: MAX_FRAME_PAYLOAD,
  verify: (payload) => {
    try {
      forEachEventRanges(payload, () => undefined);
      return undefined;
    } catch (error) {
      return `undecodable payload: ${(error as Error).message}`;
    }
  },
};

interface OpenChunk {
  info: ChunkInfo;
  handle: DataFile;
}

// Append-only chunk files with group commit: while one write+fdatasync is in flight, later frames
// queue up and are flushed together by the next round, so N concurrent appends cost one fsync,
// not N. Logical offsets run on across chunks: a chunk begins where the one before it ended (its
// file name holds that offset), and a frame never spans two chunks.
export class FileEventLog implements EventLog {
  private queue: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  // Chunk of the next reserved frame, and the bases of chunks reserved but not yet created.
  private reservedBase: number;
  private readonly plannedBases: number[] = [];
  // Number of write+fdatasync rounds so far: with group commit, far fewer than appends.
  flushes = 0;

  private constructor(
    private readonly chunks: OpenChunk[],
    private readonly fs: FileSystem,
    private readonly dataDir: string,
    private readonly lockPath: string,
    private readonly chunkSize: number,
    private readonly onSealed: LogOpenOptions['onSealed'],
    public endOffset: number,
  ) {
    this.reservedBase = this.active.info.base;
  }

  private get active(): OpenChunk {
    return this.chunks[this.chunks.length - 1];
  }

  /** The chunk files, oldest first. */
  chunkInfos(): readonly ChunkInfo[] {
    return this.chunks.map((chunk) => chunk.info);
  }

  // Replays every verified frame through `onFrame` (sealed chunks with a verified index
  // checkpoint go through `loadIndex` instead). A torn tail of the last chunk (an interrupted last
  // write, never acknowledged) is cut and reported; damage anywhere, or a sealed chunk that does
  // not end where the next begins, stops the start.
  static async open(
    dataDir: string,
    onFrame: (events: LoggedEvent[], offset: number) => void,
    options: LogOpenOptions = {},
  ): Promise<{ log: FileEventLog; recovery: RecoveryReport }> {
    const fs = options.fs ?? nodeFileSystem;
    fs.mkdir(dataDir);
    const lockPath = lockDataDir(fs, dataDir, LOCK_FILE);
    const chunks: OpenChunk[] = [];
    try {
      const found = listChunks(fs, dataDir);
      if (found.length === 0) found.push({ path: join(dataDir, LOG_FILE), base: 0 });
      for (const { path, base } of found) {
        const created = !fs.exists(path);
        const handle = await fs.open(path);
        if (created) fs.syncDir(dataDir);
        chunks.push({ info: { path, base, size: handle.size() }, handle });
      }
      const last = chunks[chunks.length - 1];
      const recovery: RecoveryReport = {
        file: last.info.path,
        frames: 0,
        events: 0,
        truncatedBytes: 0,
        chunks: chunks.length,
        chunksFromIndex: 0,
        eventsFromIndex: 0,
      };
      await options.beforeLoad?.(chunks.slice(0, -1).map((chunk) => chunk.info));
      const sealedWithoutIndex: OpenChunk[] = [];
      for (const [k, chunk] of chunks.entries()) {
        const { info } = chunk;
        const next = chunks[k + 1];
        if (next && info.base + info.size !== next.info.base) {
          throw new Error(
            `${info.path} ends at log offset ${info.base + info.size} but the next chunk ` +
              `${next.info.path} begins at ${next.info.base}: a chunk is missing or was cut; refusing to start`,
          );
        }
        fs.unlink(`${info.path}${INDEX_SUFFIX}.tmp`);
        if (next) {
          const loaded = options.loadIndex?.(info, readerOf(chunk.handle));
          if (loaded !== undefined) {
            recovery.chunksFromIndex! += 1;
            recovery.eventsFromIndex! += loaded;
            continue;
          }
          sealedWithoutIndex.push(chunk);
        } else {
          // The last chunk is always scanned whole, so damage in it refuses the start; an index
          // checkpoint of it (left when the chunk after it did not survive a cut) would be stale.
          fs.unlink(`${info.path}${INDEX_SUFFIX}`);
        }
        const scan = scanChunk(chunk.handle, info.base, recovery, onFrame);
        if (scan.damage.length > 0) throw new DamagedFileError(info.path, scan);
        if (!scan.torn) continue;
        if (next) {
          // Sealed chunks were fsync'd whole before the next one was created: no torn tail.
          scan.damage.push(scan.torn);
          throw new DamagedFileError(info.path, scan);
        }
        recovery.truncatedBytes = scan.torn.bytes;
        recovery.truncatedAt = scan.torn.offset;
        recovery.truncationReason = scan.torn.reason;
        options.log?.(
          `cut a torn tail of ${info.path}: ${scan.torn.bytes} byte(s) at offset ${scan.torn.offset} ` +
            `(${scan.torn.reason}), the unacknowledged remains of 1 incomplete frame`,
        );
        await chunk.handle.truncate(scan.torn.offset);
        await chunk.handle.datasync();
        info.size = scan.torn.offset;
      }
      options.log?.(
        `recovery: ${last.info.path}: ${recovery.frames} frame(s), ${recovery.events} event(s), ` +
          `${recovery.truncatedBytes} torn byte(s) cut, no damage`,
      );
      if (recovery.chunksFromIndex! > 0 || chunks.length > 1) {
        options.log?.(
          `recovery: ${chunks.length} chunk(s); ${recovery.eventsFromIndex} event(s) of ` +
            `${recovery.chunksFromIndex} chunk(s) read from their index checkpoints, the rest scanned`,
        );
      }
      const log = new FileEventLog(
        chunks,
        fs,
        dataDir,
        lockPath,
        options.chunkSize ?? DEFAULT_CHUNK_SIZE,
        options.onSealed,
        last.info.base + last.info.size,
      );
      for (const chunk of sealedWithoutIndex)
        options.onSealed?.(chunk.info, readerOf(chunk.handle));
      return { log, recovery };
    } catch (error) {
      for (const chunk of chunks) await chunk.handle.close().catch(() => undefined);
      fs.unlink(lockPath);
      throw error;
    }
  }

  append(frame: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const offset = this.endOffset;
    if (offset > this.reservedBase && offset - this.reservedBase + frame.length > this.chunkSize) {
      this.reservedBase = offset;
      this.plannedBases.push(offset);
    }
    this.endOffset += frame.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, offset, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  readInto(offset: number, length: number, target: Buffer): Buffer {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunks[mid].info.base <= offset) lo = mid;
      else hi = mid - 1;
    }
    const { info, handle } = this.chunks[lo];
    const at = offset - info.base;
    return target.subarray(0, handle.readInto(at, target, Math.min(length, info.size - at)));
  }

  async close(): Promise<void> {
    await this.flushing;
    for (const chunk of this.chunks) await chunk.handle.close();
    this.fs.unlink(this.lockPath);
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const sealed: OpenChunk[] = [];
      try {
        // Frames go to the active chunk until one was reserved for the next chunk: that one is
        // created (and its folder entry made durable) only after the active chunk is fsync'd, so
        // a sealed chunk is always whole and only the last chunk can have a torn tail.
        let run: PendingWrite[] = [];
        for (const pending of batch) {
          if (pending.offset === this.plannedBases[0]) {
            await this.writeRun(run);
            run = [];
            sealed.push(this.active);
            await this.roll(this.plannedBases.shift()!);
          }
          run.push(pending);
        }
        await this.writeRun(run);
        for (const pending of batch) pending.resolve();
      } catch (error) {
        // After a failed write or fsync the file tail is unknown: refuse everything from now on,
        // recovery on the next start decides what survived.
        this.failure = new Error(`event log write failed: ${(error as Error).message}`);
        for (const pending of [...batch, ...this.queue]) pending.reject(this.failure);
        this.queue = [];
      }
      for (const chunk of sealed) this.onSealed?.(chunk.info, readerOf(chunk.handle));
    }
    this.flushing = undefined;
  }

  private async writeRun(run: PendingWrite[]): Promise<void> {
    if (run.length === 0) return;
    const { info, handle } = this.active;
    const bytes = run.length === 1 ? run[0].frame : Buffer.concat(run.map((p) => p.frame));
    await handle.write(bytes, info.size);
    await handle.datasync();
    this.flushes += 1;
    info.size += bytes.length;
  }

  private async roll(base: number): Promise<void> {
    const path = join(this.dataDir, chunkFileName(base));
    const handle = await this.fs.open(path);
    this.fs.syncDir(this.dataDir);
    this.chunks.push({ info: { path, base, size: 0 }, handle });
  }
}

function readerOf(handle: DataFile): ChunkReader {
  return (position, length) => handle.read(position, length);
}

function scanChunk(
  file: DataFile,
  base: number,
  recovery: RecoveryReport,
  onFrame: (events: LoggedEvent[], offset: number) => void,
): ScanResult {
  return scanFrames(
    windowedSource((position, length) => file.read(position, length), SCAN_WINDOW),
    file.size(),
    SCAN_OPTIONS,
    (frame) => {
      const events = decodePayload(frame.payload);
      if (events.length > 0) onFrame(events, base + frame.offset);
      recovery.frames += 1;
      recovery.events += events.length;
    },
  );
}

export interface RepairReport {
  /** The first chunk file that was rewritten, and where its original went. */
  file: string;
  setAside: string;
  /** Every chunk file rewritten, with where its original went. */
  chunks: { file: string; setAside: string }[];
  reportFile: string;
  damage: (ScanResult['damage'][number] & { file: string })[];
  tornBytes: number;
  framesKept: number;
  eventsKept: number;
  /** Events whose frame verifies but whose stream lost an earlier revision in the damage. */
  eventsSetAside: { stream: string; revision: number; id: string; type: string }[];
}

/**
 * `--repair`: when the log is damaged, moves each chunk file that changes aside (never deleted),
 * writes in its place every frame that still verifies, and a JSON report of what was lost. Events
 * after a hole in their own stream cannot keep their revision numbers and are listed in the report
 * instead of served (in later chunks too); the set-aside files still hold their bytes. A rewritten
 * chunk is padded to its old length so offsets and positions keep growing. Index checkpoints are
 * dropped (the next start rebuilds them). Returns undefined when there was nothing to repair.
 */
export async function repairEventLog(
  dataDir: string,
  options: LogOpenOptions = {},
): Promise<RepairReport | undefined> {
  const fs = options.fs ?? nodeFileSystem;
  if (!fs.exists(dataDir)) return undefined;
  const found = listChunks(fs, dataDir);
  const sources: { path: string; file: DataFile; read: ByteSource; scan: ScanResult }[] = [];
  try {
    for (const [k, { path }] of found.entries()) {
      const file = await fs.open(path);
      const read = windowedSource((position, length) => file.read(position, length));
      sources.push({ path, file, read, scan: scanFrames(read, file.size(), SCAN_OPTIONS) });
      const { scan } = sources[k];
      // A sealed chunk was whole before the next one began: a torn tail there is damage.
      if (k < found.length - 1 && scan.torn) scan.damage.push(scan.torn);
    }
    if (sources.every(({ scan }) => scan.damage.length === 0)) return undefined;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const report: RepairReport = {
      file: '',
      setAside: '',
      chunks: [],
      reportFile: join(dataDir, `repair-${stamp}.json`),
      damage: sources.flatMap(({ path, scan }) => scan.damage.map((d) => ({ ...d, file: path }))),
      tornBytes: sources.at(-1)?.scan.torn?.bytes ?? 0,
      framesKept: 0,
      eventsKept: 0,
      eventsSetAside: [],
    };
    const nextRevision = new Map<string, number>();
    for (const [k, { path, read, scan }] of sources.entries()) {
      const kept = keptFrames(read, scan, nextRevision, report);
      if (scan.damage.length === 0 && kept.every((frame) => frame.unchanged)) continue;
      // A sealed chunk keeps its exact length (the next chunk begins there); damaged bytes held
      // offsets too.
      const end =
        k < sources.length - 1
          ? scan.fileSize
          : Math.max(
              0,
              ...scan.damage.map((d) => d.offset + d.bytes),
              ...scan.frames.map((f) => f.offset + f.size),
            );
      await rewriteChunk(fs, path, kept, end, `${path}.damaged-${stamp}`);
      report.chunks.push({ file: path, setAside: `${path}.damaged-${stamp}` });
    }
    report.file = report.chunks[0].file;
    report.setAside = report.chunks[0].setAside;
    for (const { path } of found) fs.unlink(`${path}${INDEX_SUFFIX}`);
    const reportFile = await fs.open(report.reportFile);
    await reportFile.write(Buffer.from(`${JSON.stringify(report, null, 2)}\n`), 0);
    await reportFile.datasync();
    await reportFile.close();
    fs.syncDir(dataDir);
    const lostBytes = report.damage.reduce((sum, d) => sum + d.bytes, 0);
    options.log?.(
      `repair: ${report.file} had ${report.damage.length} damaged region(s) (${lostBytes} byte(s), first at offset ` +
        `${report.damage[0].offset}); kept ${report.framesKept} frame(s) with ${report.eventsKept} event(s); ` +
        `${report.eventsSetAside.length} event(s) set aside after holes in their streams; ` +
        `original moved to ${report.setAside}; report in ${report.reportFile}`,
    );
    return report;
  } finally {
    for (const { file } of sources) await file.close();
  }
}

// The frames of a chunk that verify, without the events that follow a hole in their stream.
function keptFrames(
  read: ByteSource,
  scan: ScanResult,
  nextRevision: Map<string, number>,
  report: RepairReport,
): { bytes: Buffer; unchanged: boolean }[] {
  const out: { bytes: Buffer; unchanged: boolean }[] = [];
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
    if (events.length > 0 && kept.length === 0) {
      out.push({ bytes: Buffer.alloc(0), unchanged: false });
      continue;
    }
    const unchanged = kept.length === events.length;
    out.push({ bytes: unchanged ? Buffer.from(read(offset, size)) : encodeFrame(kept), unchanged });
    report.framesKept += 1;
    report.eventsKept += kept.length;
  }
  return out;
}

async function rewriteChunk(
  fs: FileSystem,
  path: string,
  frames: { bytes: Buffer }[],
  end: number,
  setAside: string,
): Promise<void> {
  const tmpPath = `${path}.repair.tmp`;
  fs.unlink(tmpPath);
  const out = await fs.open(tmpPath);
  try {
    let writeAt = 0;
    for (const { bytes } of frames) {
      if (bytes.length === 0) continue;
      await out.write(bytes, writeAt);
      writeAt += bytes.length;
    }
    // New appends take their offsets from the end of the log: keep it at least where the old one
    // ended so positions only ever grow.
    if (writeAt < end) {
      await out.write(encodePaddingFrame(Math.max(end - writeAt, FRAME_HEADER_SIZE + 1)), writeAt);
    }
    await out.datasync();
  } finally {
    await out.close();
  }
  fs.rename(path, setAside);
  fs.rename(tmpPath, path);
}
