import { randomUUID } from 'node:crypto';
import {
  type ChunkInfo,
  type ChunkReader,
  type EventLog,
  FileEventLog,
  INDEX_SUFFIX,
  MemoryEventLog,
  type RecoveryReport,
  repairEventLog,
  type RepairReport,
} from '../storage/event-log';
import { type FileSystem, nodeFileSystem } from '@app/embedded-storage';
import { encodeFrame, type LoggedEvent, TOMBSTONE_FLAG } from '../storage/log-frame.codec';
import { writeRecordedEvent } from '../protocol/read-response.encoder';
import { EventTable } from './event-table';
import { DEFAULT_CACHE_BYTES, FramePayloads, recordedLayoutOf } from './frame-cache';
import {
  CHUNK_INDEX_HEADER_BYTES,
  type ChunkIndexData,
  chunkIndexCount,
  decodeChunkIndex,
  encodeChunkIndex,
} from './chunk-index';
import type { EventFilter } from './event-filter';

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Buffer;
  metadata: Buffer;
}

export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

// `current` is the stream's last revision, or undefined when the stream does not exist.
export type WriteResult =
  | { kind: 'success'; revision: number | undefined; position: number | undefined }
  | { kind: 'wrong_expected_version'; current: number | undefined }
  | { kind: 'stream_deleted' };

export type StreamReadPlan =
  { kind: 'not_found' } | { kind: 'deleted' } | { kind: 'ok'; indexes: Iterable<number> };

export interface StreamMetadata {
  maxCount?: number;
  maxAge?: number;
  truncateBefore?: number;
}

export const DEFAULT_MAX_APPEND_SIZE = 1024 * 1024;
export const STREAM_DELETED_EVENT_TYPE = '$streamDeleted';
export const METADATA_EVENT_TYPE = '$metadata';
export const LINK_EVENT_TYPE = '$>';
// Soft delete stores this truncate-before (the largest signed 64-bit revision) in the metastream,
// as the reference server does; anything beyond 2^53 can only be that marker.
const SOFT_DELETED_TB_JSON = '9223372036854775807';
const SOFT_DELETED_THRESHOLD = Number.MAX_SAFE_INTEGER;
// Idempotency without an exact expected revision relies on a bounded memory of recent event ids,
// like the reference server's commit cache.
const RECENT_IDS = 100_000;
const MAX_NAME_BYTES = 0xffff;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

class StreamRecord {
  readonly revisions: number[] = [];
  tombstone = -1;
  constructor(
    readonly name: string,
    readonly no: number,
  ) {}
}

export class MaxAppendSizeExceeded extends Error {
  constructor(readonly maxAppendSize: number) {
    super(`append exceeds the maximum append size of ${maxAppendSize} bytes`);
  }
}

export class InvalidEventError extends Error {}

export class StoreUnavailableError extends Error {}

export interface EventStoreOptions {
  dataDir?: string;
  mem?: boolean;
  maxAppendSize?: number;
  /** Set a damaged log aside and keep every frame that still verifies (see README). */
  repair?: boolean;
  /** The file layer under the log (tests put a power-loss simulation here). */
  fs?: FileSystem;
  /** Recovery messages; one summary line per start. */
  log?: (line: string) => void;
  /** Size at which the log rolls over into a new chunk file (default 256 MiB). */
  chunkSize?: number;
  /** Bound of the cache of events read back from the log (default 64 MiB); mem mode keeps all. */
  cacheSize?: number;
}

export class EventStore {
  readonly table = new EventTable();
  // Number of events (from index 0) whose frame is durable; only these are visible to readers.
  committed = 0;
  private readonly streams = new Map<string, StreamRecord>();
  private readonly streamNames: string[] = [];
  private readonly typeIds = new Map<string, number>();
  private readonly typeNames: string[] = [];
  private readonly metadataByIndex = new Map<
    number,
    StreamMetadata & { raw: Record<string, unknown> }
  >();
  private readonly linkTargets = new Map<number, { stream: string; revision: number }>();
  private readonly commitListeners = new Set<() => void>();
  // Keyed by the id's 16 bytes as a latin1 string (a flat 16-character string, far smaller than
  // the formatted UUID).
  private readonly recentIds = new Map<string, number>();
  // Eviction order for recentIds as a ring: deleting a Map's oldest key via its iterator degrades
  // badly in V8 once many deletions pile up at the front.
  private readonly recentRing: (string | undefined)[] = [];
  private readonly recentRingIndex = new Float64Array(RECENT_IDS);
  private recentNext = 0;
  private failure: Error | undefined;
  recovery: RecoveryReport | undefined;
  repair: RepairReport | undefined;

  // File mode: payloads are read back from the log (mem mode keeps them in the table's slabs).
  private readonly frames: FramePayloads | undefined;
  // Index checkpoint writes of sealed chunks, one after another.
  private indexing: Promise<void> = Promise.resolve();

  private constructor(
    private log: EventLog,
    readonly maxAppendSize: number,
    private readonly files?: {
      fs: FileSystem;
      dataDir: string;
      cacheSize: number;
      log?: (line: string) => void;
    },
  ) {
    if (files) {
      this.frames = new FramePayloads(
        this.table,
        (offset, length, target) => this.log.readInto!(offset, length, target),
        files.cacheSize,
      );
      this.table.payloads = this.frames;
    }
  }

  static async open(options: EventStoreOptions): Promise<EventStore> {
    const maxAppendSize = options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE;
    if (options.mem || !options.dataDir) {
      if (!options.mem) throw new Error('either a data directory or mem mode is required');
      options.log?.('recovery: in-memory store, nothing to recover');
      return new EventStore(new MemoryEventLog(), maxAppendSize);
    }
    const fs = options.fs ?? nodeFileSystem;
    const logOptions = { fs, log: options.log };
    const repair = options.repair ? await repairEventLog(options.dataDir, logOptions) : undefined;
    const store = new EventStore(new MemoryEventLog(), maxAppendSize, {
      fs,
      dataDir: options.dataDir,
      cacheSize: options.cacheSize ?? DEFAULT_CACHE_BYTES,
      log: options.log,
    });
    let fromIndex = false;
    const { log, recovery } = await FileEventLog.open(
      options.dataDir,
      (events, offset) => {
        for (const event of events) store.insert(event, offset);
      },
      {
        ...logOptions,
        chunkSize: options.chunkSize,
        loadIndex: (chunk, read) => {
          const loaded = store.loadChunkIndex(chunk, read);
          fromIndex ||= loaded !== undefined;
          return loaded;
        },
        onSealed: (chunk, read) => store.checkpointChunk(chunk, read),
        beforeLoad: (sealed) => store.presize(sealed),
      },
    );
    if (fromIndex) store.rememberRecentIds();
    store.committed = store.table.length;
    store.log = log;
    store.recovery = recovery;
    store.repair = repair;
    return store;
  }

  async close(): Promise<void> {
    await this.log.close();
    await this.indexing;
  }

  /** Bytes the read cache holds now (file mode), and its bound. */
  cacheUsage(): { bytes: number; capacity: number; misses: number } | undefined {
    const frames = this.frames;
    return (
      frames && { bytes: frames.cachedBytes(), capacity: frames.capacity, misses: frames.misses }
    );
  }

  // ---- index checkpoints -------------------------------------------------------------------

  // Sizes the table for the events of the sealed chunks' checkpoints at once, instead of growing
  // (and copying) it chunk after chunk.
  private async presize(sealed: readonly ChunkInfo[]): Promise<void> {
    const { fs } = this.files!;
    let rows = 0;
    for (const chunk of sealed) {
      const path = `${chunk.path}${INDEX_SUFFIX}`;
      if (!fs.exists(path)) continue;
      const file = await fs.open(path);
      rows += chunkIndexCount(file.read(0, CHUNK_INDEX_HEADER_BYTES)) ?? 0;
      await file.close();
    }
    this.table.ensureCapacity(rows);
  }

  // Loads a sealed chunk's index checkpoint when it verifies and matches the chunk; otherwise
  // says why and returns undefined (the log then scans the chunk and a new checkpoint is written).
  private loadChunkIndex(chunk: ChunkInfo, read: ChunkReader): number | undefined {
    const { fs, log } = this.files!;
    const path = `${chunk.path}${INDEX_SUFFIX}`;
    if (!fs.exists(path)) return undefined;
    let data: ChunkIndexData;
    try {
      data = decodeChunkIndex(fs.readFile(path));
      const problem = mismatch(data, chunk, read);
      if (problem) throw new Error(problem);
    } catch (error) {
      log?.(
        `index checkpoint ${path} is not usable (${(error as Error).message}); rebuilding it from the chunk`,
      );
      return undefined;
    }
    this.insertIndexed(data);
    return data.count;
  }

  private insertIndexed(data: ChunkIndexData): void {
    const table = this.table;
    const n = data.count;
    const first = table.reserve(n);
    table.position.set(data.position, first);
    table.created.set(data.created, first);
    table.frame.set(data.frame, first);
    table.flags.set(data.flags, first);
    data.ids.copy(table.ids, first * 16);
    const streams = data.names.streams.map((name) => this.stream(name));
    const types = data.names.types.map((type) => this.typeNo(type));
    for (let j = 0; j < n; j++) {
      const index = first + j;
      const stream = streams[data.stream[j]];
      table.stream[index] = stream.no;
      table.type[index] = types[data.type[j]];
      if ((data.flags[j] & TOMBSTONE_FLAG) !== 0) stream.tombstone = index;
      else stream.revisions.push(index);
    }
    for (const [j, json] of data.names.metadata) this.indexMetadata(first + j, Buffer.from(json));
    for (const [j, stream, revision] of data.names.links)
      this.linkTargets.set(first + j, { stream, revision });
  }

  // Events loaded from checkpoints skipped the id memory: it is rebuilt from the last events.
  private rememberRecentIds(): void {
    this.recentIds.clear();
    this.recentRing.length = 0;
    this.recentNext = 0;
    for (let i = Math.max(0, this.table.length - RECENT_IDS); i < this.table.length; i++) {
      if ((this.table.flags[i] & TOMBSTONE_FLAG) === 0) {
        this.rememberId(this.table.ids.toString('latin1', i * 16, i * 16 + 16), i);
      }
    }
  }

  // A sealed chunk's index columns, written next to it (temp file, fsync, rename, folder fsync),
  // so the next start loads them instead of decoding the chunk.
  private checkpointChunk(chunk: ChunkInfo, read: ChunkReader): void {
    const { fs, dataDir, log } = this.files!;
    const bytes = encodeChunkIndex(this.chunkIndexOf(chunk, read));
    const path = `${chunk.path}${INDEX_SUFFIX}`;
    this.indexing = this.indexing.then(async () => {
      try {
        const tmp = `${path}.tmp`;
        fs.unlink(tmp);
        const file = await fs.open(tmp);
        await file.write(bytes, 0);
        await file.datasync();
        await file.close();
        fs.rename(tmp, path);
        fs.syncDir(dataDir);
      } catch (error) {
        // Only a slower next start is lost: the chunk is scanned then.
        log?.(`could not write the index checkpoint ${path}: ${(error as Error).message}`);
      }
    });
  }

  private chunkIndexOf(chunk: ChunkInfo, read: ChunkReader): ChunkIndexData {
    const table = this.table;
    const lo = table.lowerBoundFrame(chunk.base);
    const hi = table.lowerBoundFrame(chunk.base + chunk.size);
    const localStreams = new Map<number, number>();
    const localTypes = new Map<number, number>();
    const names: ChunkIndexData['names'] = { streams: [], types: [], metadata: [], links: [] };
    const stream = new Uint32Array(hi - lo);
    const type = new Uint32Array(hi - lo);
    for (let i = lo; i < hi; i++) {
      stream[i - lo] = local(localStreams, names.streams, table.stream[i], this.streamNames);
      type[i - lo] = local(localTypes, names.types, table.type[i], this.typeNames);
      const metadata = this.metadataByIndex.get(i);
      if (metadata) names.metadata.push([i - lo, JSON.stringify(metadata.raw)]);
      const link = this.linkTargets.get(i);
      if (link) names.links.push([i - lo, link.stream, link.revision]);
    }
    const lastFrame = hi > lo ? table.frame[hi - 1] - chunk.base : -1;
    return {
      chunkBase: chunk.base,
      chunkSize: chunk.size,
      lastFrame,
      lastFrameCrc: lastFrame >= 0 ? read(lastFrame + 4, 4).readUInt32LE(0) : 0,
      count: hi - lo,
      names,
      position: table.position.subarray(lo, hi),
      created: table.created.subarray(lo, hi),
      frame: table.frame.subarray(lo, hi),
      stream,
      type,
      flags: table.flags.subarray(lo, hi),
      ids: table.ids.subarray(lo * 16, hi * 16),
    };
  }

  // ---- names -------------------------------------------------------------------------------

  name(kind: 'stream' | 'type', no: number): string {
    return kind === 'stream' ? this.streamNames[no] : this.typeNames[no];
  }

  private stream(name: string): StreamRecord {
    let record = this.streams.get(name);
    if (!record) {
      record = new StreamRecord(name, this.streamNames.length);
      this.streams.set(name, record);
      this.streamNames.push(name);
    }
    return record;
  }

  private typeNo(type: string): number {
    let no = this.typeIds.get(type);
    if (no === undefined) {
      no = this.typeNames.length;
      this.typeIds.set(type, no);
      this.typeNames.push(type);
    }
    return no;
  }

  // ---- commit notifications ----------------------------------------------------------------

  onCommit(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  private markCommitted(upTo: number): void {
    if (upTo <= this.committed) return;
    this.committed = upTo;
    for (const listener of [...this.commitListeners]) listener();
  }

  private whenCommitted(upTo: number): Promise<void> {
    if (this.committed >= upTo) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onCommit(() => {
        if (this.committed >= upTo) {
          off();
          resolve();
        }
      });
    });
  }

  // ---- writes ------------------------------------------------------------------------------

  validateProposed(streamName: string, events: readonly ProposedEvent[]): void {
    if (streamName.length === 0) throw new InvalidEventError('stream name must not be empty');
    if (Buffer.byteLength(streamName) > MAX_NAME_BYTES - 2) {
      throw new InvalidEventError('stream name is too long');
    }
    let size = 0;
    for (const event of events) {
      if (!UUID_PATTERN.test(event.id)) {
        throw new InvalidEventError(`event id ${JSON.stringify(event.id)} is not a UUID`);
      }
      if (event.type.length === 0) throw new InvalidEventError('event type must not be empty');
      if (Buffer.byteLength(event.type) > MAX_NAME_BYTES)
        throw new InvalidEventError('event type is too long');
      if (Buffer.byteLength(event.contentType) > MAX_NAME_BYTES) {
        throw new InvalidEventError('content type is too long');
      }
      size += event.data.length + event.metadata.length + Buffer.byteLength(event.type);
    }
    if (size > this.maxAppendSize) throw new MaxAppendSizeExceeded(this.maxAppendSize);
  }

  async append(
    streamName: string,
    expected: ExpectedRevision,
    events: readonly ProposedEvent[],
  ): Promise<WriteResult> {
    this.assertAvailable();
    this.validateProposed(streamName, events);
    const stream = this.stream(streamName);
    if (stream.tombstone >= 0 || this.isTombstoned(metastreamTarget(streamName))) {
      return { kind: 'stream_deleted' };
    }
    const last = stream.revisions.length - 1;
    const softDeleted = this.isSoftDeletedPending(streamName);
    const exists = last >= 0 && !softDeleted;

    const idempotent = this.findIdempotentWrite(stream, expected, events);
    if (idempotent !== undefined) {
      if (idempotent === 'corrupt')
        return { kind: 'wrong_expected_version', current: exists ? last : undefined };
      const lastIndex = stream.revisions[idempotent];
      await this.whenCommitted(lastIndex + 1);
      return { kind: 'success', revision: idempotent, position: this.table.position[lastIndex] };
    }

    const current = exists ? last : undefined;
    const accepted =
      expected === 'any' ||
      (expected === 'no_stream' && !exists) ||
      (expected === 'stream_exists' && exists) ||
      (typeof expected === 'bigint' && last >= 0 && expected === BigInt(last));
    if (!accepted) return { kind: 'wrong_expected_version', current };
    if (events.length === 0) {
      return { kind: 'success', revision: last >= 0 ? last : undefined, position: undefined };
    }

    const now = Date.now();
    const logged: LoggedEvent[] = [];
    if (softDeleted && !isMetastream(streamName)) {
      // Writing to a soft-deleted stream brings it back: truncate-before moves to the first new
      // revision, all other metadata is kept, in the same atomic frame as the events.
      const previous = this.latestMetadata(metastreamOf(streamName), false)?.raw ?? {};
      const firstNewRevision = stream.revisions.length;
      const body = JSON.stringify({ ...previous, $tb: firstNewRevision });
      logged.push(this.systemEvent(metastreamOf(streamName), METADATA_EVENT_TYPE, body, now));
    }
    events.forEach((event, i) => {
      logged.push({
        flags: 0,
        streamName,
        revision: last + 1 + i,
        position: 0,
        createdMs: now,
        id: event.id,
        type: event.type,
        contentType: event.contentType,
        data: event.data,
        metadata: event.metadata,
      });
    });
    const lastIndex = await this.commit(logged);
    return {
      kind: 'success',
      revision: last + events.length,
      position: this.table.position[lastIndex],
    };
  }

  async deleteStream(streamName: string, expected: ExpectedRevision): Promise<WriteResult> {
    this.assertAvailable();
    this.validateProposed(streamName, []);
    const stream = this.stream(streamName);
    if (stream.tombstone >= 0) return { kind: 'stream_deleted' };
    const check = this.checkExpected(stream, expected);
    if (check) return check;
    const previous = this.latestMetadata(metastreamOf(streamName), false)?.raw ?? {};
    const body = JSON.stringify({ ...previous, $tb: 0 }).replace(
      /"\$tb":0/,
      `"$tb":${SOFT_DELETED_TB_JSON}`,
    );
    const index = await this.commit([
      this.systemEvent(metastreamOf(streamName), METADATA_EVENT_TYPE, body, Date.now()),
    ]);
    return { kind: 'success', revision: undefined, position: this.table.position[index] };
  }

  async tombstoneStream(streamName: string, expected: ExpectedRevision): Promise<WriteResult> {
    this.assertAvailable();
    this.validateProposed(streamName, []);
    const stream = this.stream(streamName);
    if (stream.tombstone >= 0) return { kind: 'stream_deleted' };
    const check = this.checkExpected(stream, expected);
    if (check) return check;
    const event = this.systemEvent(streamName, STREAM_DELETED_EVENT_TYPE, '', Date.now());
    event.flags = TOMBSTONE_FLAG;
    const index = await this.commit([event]);
    return { kind: 'success', revision: undefined, position: this.table.position[index] };
  }

  private checkExpected(stream: StreamRecord, expected: ExpectedRevision): WriteResult | undefined {
    const last = stream.revisions.length - 1;
    const exists = last >= 0 && !this.isSoftDeletedPending(stream.name);
    const accepted =
      expected === 'any' ||
      (expected === 'no_stream' && !exists) ||
      (expected === 'stream_exists' && exists) ||
      (typeof expected === 'bigint' && exists && expected === BigInt(last));
    return accepted
      ? undefined
      : { kind: 'wrong_expected_version', current: exists ? last : undefined };
  }

  // Re-sent events (same ids, same expectation) succeed without being written twice. Returns the
  // last revision of the earlier write, 'corrupt' when only some ids match, or undefined.
  private findIdempotentWrite(
    stream: StreamRecord,
    expected: ExpectedRevision,
    events: readonly ProposedEvent[],
  ): number | 'corrupt' | undefined {
    if (events.length === 0 || stream.revisions.length === 0) return undefined;
    const ids = events.map((event) => Buffer.from(event.id.replace(/-/g, ''), 'hex'));
    let first: number | undefined;
    if (typeof expected === 'bigint') {
      const candidate = Number(expected) + 1;
      if (expected < BigInt(stream.revisions.length - 1)) first = candidate;
    } else if (expected === 'no_stream') {
      first = 0;
    } else {
      const index = this.recentIds.get(ids[0].toString('latin1'));
      if (index !== undefined && this.table.stream[index] === stream.no)
        first = revisionOf(stream.revisions, index);
    }
    if (first === undefined || first < 0 || first >= stream.revisions.length) return undefined;
    if (!this.table.idEquals(stream.revisions[first], ids[0])) return undefined;
    for (let i = 1; i < ids.length; i++) {
      const revision = first + i;
      if (
        revision >= stream.revisions.length ||
        !this.table.idEquals(stream.revisions[revision], ids[i])
      ) {
        return 'corrupt';
      }
    }
    return first + ids.length - 1;
  }

  private systemEvent(streamName: string, type: string, json: string, now: number): LoggedEvent {
    const stream = this.stream(streamName);
    return {
      flags: 0,
      streamName,
      revision: stream.revisions.length,
      position: 0,
      createdMs: now,
      id: randomUUID(),
      type,
      contentType: 'application/json',
      data: Buffer.from(json, 'utf8'),
      metadata: Buffer.alloc(0),
    };
  }

  // Stamps positions, hands the frame to the log, indexes the events (invisible until durable)
  // and resolves with the index of the last event once the frame is on disk.
  private async commit(events: LoggedEvent[]): Promise<number> {
    const base = this.log.endOffset;
    events.forEach((event, i) => {
      event.position = base + i;
    });
    // Several events of one frame may target one stream: revisions were computed up front.
    const frame = encodeFrame(events);
    const durable = this.log.append(frame);
    let lastIndex = -1;
    for (const event of events) lastIndex = this.insert(event, base);
    this.frames?.remember(base, lastIndex - events.length + 1, events.map(recordedLayoutOf));
    try {
      await durable;
    } catch (error) {
      this.failure = error as Error;
      throw new StoreUnavailableError((error as Error).message);
    }
    this.markCommitted(lastIndex + 1);
    return lastIndex;
  }

  // Indexes an event of the frame at log offset `frame`.
  private insert(event: LoggedEvent, frame: number): number {
    const stream = this.stream(event.streamName);
    const tombstone = (event.flags & TOMBSTONE_FLAG) !== 0;
    const row = {
      position: event.position,
      created: event.createdMs,
      stream: stream.no,
      type: this.typeNo(event.type),
      flags: event.flags,
      id: Buffer.from(event.id.replace(/-/g, ''), 'hex'),
      frame,
    };
    let index: number;
    if (this.frames) {
      index = this.table.push(row);
    } else {
      const layout = recordedLayoutOf(event);
      index = this.table.push(row, layout.size, (out, offset) =>
        writeRecordedEvent(out, offset, layout),
      );
    }
    if (tombstone) {
      stream.tombstone = index;
      return index;
    }
    stream.revisions.push(index);
    this.rememberId(row.id.toString('latin1'), index);
    if (isMetastream(event.streamName)) this.indexMetadata(index, event.data);
    if (event.type === LINK_EVENT_TYPE) this.indexLink(index, event.data);
    return index;
  }

  private rememberId(id: string, index: number): void {
    const slot = this.recentNext;
    const evicted = this.recentRing[slot];
    if (evicted !== undefined && this.recentIds.get(evicted) === this.recentRingIndex[slot]) {
      this.recentIds.delete(evicted);
    }
    this.recentRing[slot] = id;
    this.recentRingIndex[slot] = index;
    this.recentNext = (slot + 1) % RECENT_IDS;
    this.recentIds.set(id, index);
  }

  private indexMetadata(index: number, data: Buffer): void {
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return;
    const record = raw as Record<string, unknown>;
    this.metadataByIndex.set(index, {
      raw: record,
      maxCount: positiveInteger(record.$maxCount),
      maxAge: positiveInteger(record.$maxAge),
      truncateBefore: nonNegativeNumber(record.$tb),
    });
  }

  private indexLink(index: number, data: Buffer): void {
    const text = data.toString('utf8');
    const at = text.indexOf('@');
    if (at <= 0) return;
    const revision = Number(text.slice(0, at));
    if (!Number.isSafeInteger(revision) || revision < 0) return;
    this.linkTargets.set(index, { stream: text.slice(at + 1), revision });
  }

  private assertAvailable(): void {
    if (this.failure) throw new StoreUnavailableError(`store unavailable: ${this.failure.message}`);
  }

  // ---- state queries -----------------------------------------------------------------------

  private latestMetadata(metastream: string, visibleOnly: boolean) {
    const record = this.streams.get(metastream);
    if (!record) return undefined;
    const revisions = record.revisions;
    let r = revisions.length - 1;
    if (visibleOnly) while (r >= 0 && revisions[r] >= this.committed) r--;
    return r >= 0 ? this.metadataByIndex.get(revisions[r]) : undefined;
  }

  private isSoftDeletedPending(streamName: string): boolean {
    if (isMetastream(streamName)) return false;
    const tb = this.latestMetadata(metastreamOf(streamName), false)?.truncateBefore;
    return tb !== undefined && tb >= SOFT_DELETED_THRESHOLD;
  }

  private isTombstoned(streamName: string | undefined): boolean {
    if (streamName === undefined) return false;
    const record = this.streams.get(streamName);
    return record !== undefined && record.tombstone >= 0;
  }

  getStreamMetadata(streamName: string): StreamMetadata | undefined {
    return this.latestMetadata(metastreamOf(streamName), true);
  }

  // ---- reads -------------------------------------------------------------------------------

  readStream(
    streamName: string,
    direction: 'forwards' | 'backwards',
    from: 'start' | 'end' | bigint,
    count: number,
  ): StreamReadPlan {
    const stream = this.streams.get(streamName);
    if (!stream) return { kind: 'not_found' };
    if (stream.tombstone >= 0 && stream.tombstone < this.committed) return { kind: 'deleted' };
    const target = metastreamTarget(streamName);
    if (target !== undefined && this.isTombstoned(target)) return { kind: 'deleted' };
    const revisions = stream.revisions;
    let visible = revisions.length;
    while (visible > 0 && revisions[visible - 1] >= this.committed) visible--;
    if (visible === 0) return { kind: 'not_found' };
    const window = this.readableWindow(streamName, visible);
    if (window.softDeleted) return { kind: 'not_found' };
    const { minRevision } = window;
    const table = this.table;
    const oldest = window.oldestMs;
    const upper = visible - 1;
    let start: number;
    if (direction === 'forwards') {
      start =
        from === 'start'
          ? minRevision
          : from === 'end'
            ? upper + 1
            : clampRevision(from, upper + 1);
      start = Math.max(start, minRevision);
    } else {
      start =
        from === 'start'
          ? Math.min(minRevision, upper)
          : from === 'end'
            ? upper
            : clampRevision(from, upper);
      if (from === 'start' && minRevision > upper) start = -1;
      start = Math.min(start, upper);
    }
    const indexes = function* (): Generator<number> {
      let emitted = 0;
      if (direction === 'forwards') {
        for (let r = start; r <= upper && emitted < count; r++) {
          const index = revisions[r];
          if (table.created[index] < oldest) continue;
          emitted++;
          yield index;
        }
      } else {
        for (let r = start; r >= minRevision && emitted < count; r--) {
          const index = revisions[r];
          if (table.created[index] < oldest) continue;
          emitted++;
          yield index;
        }
      }
    };
    return { kind: 'ok', indexes: indexes() };
  }

  // What stream metadata leaves readable of the first `visible` revisions: revisions from
  // minRevision on ($tb, $maxCount; metastreams keep only their latest event) created at or after
  // oldestMs ($maxAge). A soft-deleted stream has nothing readable.
  readableWindow(
    streamName: string,
    visible: number,
  ): { softDeleted: boolean; minRevision: number; oldestMs: number } {
    if (isMetastream(streamName)) {
      return { softDeleted: false, minRevision: Math.max(0, visible - 1), oldestMs: -Infinity };
    }
    const metadata = this.latestMetadata(metastreamOf(streamName), true);
    const truncateBefore = metadata?.truncateBefore ?? 0;
    if (truncateBefore >= SOFT_DELETED_THRESHOLD) {
      return { softDeleted: true, minRevision: visible, oldestMs: -Infinity };
    }
    let minRevision = truncateBefore;
    if (metadata?.maxCount !== undefined)
      minRevision = Math.max(minRevision, visible - metadata.maxCount);
    const oldestMs =
      metadata?.maxAge === undefined ? -Infinity : Date.now() - metadata.maxAge * 1000;
    return { softDeleted: false, minRevision, oldestMs };
  }

  *readAll(
    direction: 'forwards' | 'backwards',
    from: 'start' | 'end' | number,
    count: number,
    filter: EventFilter | undefined,
  ): Generator<number> {
    const end = this.committed;
    const names = (kind: 'stream' | 'type', no: number) => this.name(kind, no);
    let emitted = 0;
    if (direction === 'forwards') {
      let i = from === 'start' ? 0 : from === 'end' ? end : this.table.lowerBound(from, end);
      for (; i < end && emitted < count; i++) {
        if (filter && !filter.matches(this.table.stream[i], this.table.type[i], names)) continue;
        emitted++;
        yield i;
      }
    } else {
      // Backwards from a position means everything strictly before it.
      let i =
        from === 'start' ? -1 : from === 'end' ? end - 1 : this.table.lowerBound(from, end) - 1;
      for (; i >= 0 && emitted < count; i--) {
        if (filter && !filter.matches(this.table.stream[i], this.table.type[i], names)) continue;
        emitted++;
        yield i;
      }
    }
  }

  // Index of the first event after `position` (exclusive), for subscriptions resuming from it.
  firstIndexAfter(position: number): number {
    return this.table.lowerBound(position + 1, this.table.length);
  }

  // The stream event a link points to, or undefined when it is not (or no longer) readable.
  resolveLink(index: number): number | undefined {
    const target = this.linkTargets.get(index);
    if (!target) return undefined;
    const stream = this.streams.get(target.stream);
    if (!stream || (stream.tombstone >= 0 && stream.tombstone < this.committed)) return undefined;
    const resolved = stream.revisions[target.revision];
    if (resolved === undefined || resolved >= this.committed) return undefined;
    const metadata = this.latestMetadata(metastreamOf(target.stream), true);
    if (metadata?.truncateBefore !== undefined && target.revision < metadata.truncateBefore)
      return undefined;
    return resolved;
  }

  isLink(index: number): boolean {
    return this.typeNames[this.table.type[index]] === LINK_EVENT_TYPE;
  }

  streamState(streamName: string): { revisions: readonly number[]; tombstone: number } | undefined {
    return this.streams.get(streamName);
  }

  newSubscriptionId(): string {
    return randomUUID();
  }
}

export function metastreamOf(streamName: string): string {
  return `$$${streamName}`;
}

function isMetastream(streamName: string): boolean {
  return streamName.startsWith('$$');
}

function metastreamTarget(streamName: string): string | undefined {
  return isMetastream(streamName) ? streamName.slice(2) : undefined;
}

// Why an index checkpoint does not belong to its chunk as it is now, or undefined.
function mismatch(data: ChunkIndexData, chunk: ChunkInfo, read: ChunkReader): string | undefined {
  if (data.chunkBase !== chunk.base) return `it is of the chunk at ${data.chunkBase}`;
  if (data.chunkSize !== chunk.size)
    return `it covers ${data.chunkSize} bytes, the chunk has ${chunk.size}`;
  if (data.count > 0) {
    const first = data.frame[0];
    const last = data.frame[data.count - 1];
    if (first < chunk.base || last - chunk.base !== data.lastFrame)
      return 'its frames are outside the chunk';
  }
  if (data.lastFrame >= 0) {
    const header = read(data.lastFrame + 4, 4);
    if (header.length < 4 || header.readUInt32LE(0) !== data.lastFrameCrc)
      return "the chunk's last frame is not the one it indexed";
  }
  return undefined;
}

// The revision of the event at table index `index` in a stream's (ascending) table indexes.
function revisionOf(revisions: readonly number[], index: number): number | undefined {
  let lo = 0;
  let hi = revisions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (revisions[mid] === index) return mid;
    if (revisions[mid] < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

function local(map: Map<number, number>, names: string[], no: number, all: string[]): number {
  let id = map.get(no);
  if (id === undefined) {
    id = names.length;
    map.set(no, id);
    names.push(all[no]);
  }
  return id;
}

function clampRevision(revision: bigint, limit: number): number {
  return revision > BigInt(limit) ? limit : Number(revision);
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function nonNegativeNumber(value: unknown): number | undefined {
  return typeof value === 'number' && value >= 0 ? value : undefined;
}
