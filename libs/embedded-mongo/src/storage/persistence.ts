import { join } from 'node:path';
import { setTimeout as pause, setImmediate as yieldToLoop } from 'node:timers/promises';
import { BSON } from 'bson';
import { fromView, keyOf, rememberHints, toView } from '../bson/bson-values';
import { serializeDocument, serializeWithArray } from '../bson/serialize';
import { type Catalog, type ChangeSet, decodeChanges, encodeChanges } from '../engine/catalog';
import { decodeOptions } from '../wire/wire-protocol';
import {
  DamagedFileError,
  type DataFile,
  describeDamage,
  type FileSystem,
  frame,
  lockDataDir,
  nodeFileSystem,
  type ScanResult,
  scanFrames,
  windowedSource,
} from '@app/embedded-storage';
import { JournalFile } from './journal-file';

// Small chunks keep each synchronous serialize slice short, so compaction barely adds latency: a query arriving
// during a slice waits it out, and 200 read-model documents of a few KB each made long slices.
const SNAPSHOT_CHUNK = 50;

export interface PersistenceOptions {
  /** Journal size that triggers compaction into a snapshot. */
  compactAfterBytes?: number;
  /** How often the journal size is checked. */
  compactCheckMs?: number;
  /**
   * At most this share of the server's one thread goes to writing a snapshot while it runs (default 1/3): after each
   * chunk it pauses for as long as the rest of the share, so commands keep most of the thread. A snapshot rewrites
   * every document (800 MB at a million read-model documents, some seconds of serializing); unthrottled, it halved
   * the rate live commands were served at while it ran. 1 turns the throttle off.
   */
  compactionShare?: number;
  /** Set damaged files aside and keep every frame that still verifies (see README). */
  repair?: boolean;
  /** The file layer (tests put a power-loss simulation here). */
  fs?: FileSystem;
  /** Recovery messages; one summary line per start. */
  log?: (line: string) => void;
}

const MAX_RECORD = 512 * 1024 * 1024;
const SCAN = { minPayload: 5, maxPayload: MAX_RECORD };

/** What a start found and did; `summary` is the line logged. */
export interface MongoRecoveryReport {
  base: number;
  snapshotDocuments: number;
  journalRecords: number;
  tornBytes: number;
  damagedSnapshots: string[];
  repaired: string[];
  summary: string;
}

const LOCK_FILE = 'mongod.lock';
const lockedHere = new Set<string>();

/** One server per data dir, in this process too (the pid lock cannot tell two servers here apart). */
function lockOnce(fs: FileSystem, dir: string): void {
  if (lockedHere.has(dir)) throw new Error(`embedded-mongo: data directory ${dir} is already open`);
  lockDataDir(fs, dir, LOCK_FILE);
  lockedHere.add(dir);
}

function unlockDataDir(fs: FileSystem, dir: string): void {
  lockedHere.delete(dir);
  fs.unlink(join(dir, LOCK_FILE));
}

const journalName = (gen: number): string => `journal-${String(gen).padStart(8, '0')}.log`;
const snapshotName = (gen: number): string => `snapshot-${String(gen).padStart(8, '0')}.bin`;

function generationOf(file: string, prefix: string, suffix: string): number | undefined {
  if (!file.startsWith(prefix) || !file.endsWith(suffix)) return undefined;
  const n = Number(file.slice(prefix.length, -suffix.length));
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Durability for the catalog: every acknowledged change is in an fsync'd journal; compaction
 * writes a snapshot of generation G+1 and starts journal G+1. The previous generation (snapshot G
 * and journal G) is kept, so a damaged newest snapshot is rebuilt from the journals instead.
 * Recovery loads the newest complete snapshot whose journals are all there and replays them. A
 * torn journal tail (an unacknowledged write) is cut and reported; any other damage stops the start
 * unless `repair` is set.
 */
export class Persistence {
  private journal!: JournalFile;
  private generation = 0;
  private compacting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly compactAfterBytes: number;
  /**
   * With the default threshold, a journal is compacted only once it is as large as the last snapshot too: a
   * snapshot rewrites every document, so compacting a large store every few megabytes of journal spent most of the
   * server's time rewriting what had not changed (a 500 MB store snapshotted every 30 s). Journal bytes then cost at
   * most one snapshot byte each, and a restart replays at most a snapshot's worth of journal.
   */
  private readonly proportional: boolean;
  private snapshotBytes = 0;
  private readonly fs: FileSystem;
  private readonly log: (line: string) => void;
  recovery: MongoRecoveryReport | undefined;

  constructor(
    private readonly dir: string,
    private readonly catalog: Catalog,
    private readonly options: PersistenceOptions = {},
  ) {
    this.compactAfterBytes = options.compactAfterBytes ?? 64 * 1024 * 1024;
    this.proportional = options.compactAfterBytes === undefined;
    this.fs = options.fs ?? nodeFileSystem;
    this.log = options.log ?? (() => undefined);
  }

  async open(): Promise<void> {
    this.fs.mkdir(this.dir);
    lockOnce(this.fs, this.dir);
    try {
      await this.recover();
    } catch (error) {
      unlockDataDir(this.fs, this.dir);
      throw error;
    }
    this.timer = setInterval(() => {
      if (this.journal.size > this.dueBytes(Math.min(this.compactAfterBytes, 4 * 1024 * 1024)))
        this.startCompaction();
    }, this.options.compactCheckMs ?? 30_000);
    this.timer.unref();
  }

  private async recover(): Promise<void> {
    const fs = this.fs;
    const files = fs.readdir(this.dir);
    for (const f of files) if (f.endsWith('.tmp')) fs.unlink(join(this.dir, f));
    const snapshots = files
      .map((f) => generationOf(f, 'snapshot-', '.bin'))
      .filter((g): g is number => g !== undefined)
      .sort((a, b) => b - a);
    const journalGens = new Set(
      files
        .map((f) => generationOf(f, 'journal-', '.log'))
        .filter((g): g is number => g !== undefined),
    );
    const latest = Math.max(0, ...journalGens, ...snapshots);
    const report: MongoRecoveryReport = {
      base: 0,
      snapshotDocuments: 0,
      journalRecords: 0,
      tornBytes: 0,
      damagedSnapshots: [],
      repaired: [],
      summary: '',
    };
    // A base is usable when its snapshot verifies and every journal from it to the latest exists.
    const chainFrom = (gen: number) => {
      for (let g = Math.max(gen, 1); g <= latest; g++) if (!journalGens.has(g)) return false;
      return true;
    };
    let loaded: SnapshotRecords | undefined;
    let damagedNewest: { path: string; scan: ScanResult; problem: string } | undefined;
    for (const gen of snapshots) {
      const path = join(this.dir, snapshotName(gen));
      const read = await this.readSnapshot(path);
      if (read.problem) {
        report.damagedSnapshots.push(path);
        this.log(
          `${path} is damaged (${read.problem}); looking for an older snapshot with a complete journal chain`,
        );
        damagedNewest ??= { path, scan: read.scan, problem: read.problem };
        continue;
      }
      if (!chainFrom(gen)) continue;
      loaded = read.records;
      report.base = gen;
      this.snapshotBytes = read.scan.fileSize;
      break;
    }
    if (!loaded && !chainFrom(0)) {
      // No good snapshot with its journals, and the journals alone do not reach back to the start.
      if (!damagedNewest)
        throw new Error(
          `embedded-mongo: ${this.dir}: journals are missing between generations; nothing safe to start from`,
        );
      if (!this.options.repair)
        throw new DamagedFileError(damagedNewest.path, damagedNewest.scan, damagedNewest.problem);
      // Repair: every record of the damaged snapshot that verifies, then its journals.
      const gen = generationOf(damagedNewest.path.slice(this.dir.length + 1), 'snapshot-', '.bin')!;
      const read = await this.readSnapshot(damagedNewest.path, true);
      loaded = read.records;
      report.base = gen;
      this.snapshotBytes = read.scan.fileSize;
      report.repaired.push(await this.setAside(damagedNewest.path, read.scan, undefined));
    }
    if (loaded) report.snapshotDocuments = this.applySnapshot(loaded);
    if (!loaded && report.damagedSnapshots.length > 0)
      this.log(`rebuilding from the journals alone: every generation since the start is there`);

    for (let gen = Math.max(report.base, 1); gen <= latest; gen++) {
      const path = join(this.dir, journalName(gen));
      if (!fs.exists(path)) continue;
      await this.replayJournal(path, report);
    }
    this.generation = Math.max(latest, 1);
    const journalPath = join(this.dir, journalName(this.generation));
    const created = !fs.exists(journalPath);
    this.journal = await JournalFile.open(fs, journalPath);
    if (created) fs.syncDir(this.dir);
    report.summary =
      `recovery: ${this.dir}: ` +
      (report.base > 0
        ? `snapshot ${report.base} (${report.snapshotDocuments} document(s))`
        : 'no snapshot') +
      `, ${report.journalRecords} journal record(s) replayed, ${report.tornBytes} torn byte(s) cut, ` +
      (report.damagedSnapshots.length > 0
        ? `damaged snapshot(s) passed over: ${report.damagedSnapshots.join(', ')}`
        : 'no damaged snapshot') +
      (report.repaired.length > 0 ? `; repaired: ${report.repaired.join(', ')}` : '');
    this.log(report.summary);
    this.recovery = report;
  }

  private async replayJournal(path: string, report: MongoRecoveryReport): Promise<void> {
    const file = await this.fs.open(path);
    let payloads: Buffer[] = [];
    let scan: ScanResult;
    try {
      scan = scanFrames(
        windowedSource((position, length) => file.read(position, length)),
        file.size(),
        SCAN,
        (f) => payloads.push(Buffer.from(f.payload)),
      );
      if (scan.damage.length > 0) {
        if (!this.options.repair) throw new DamagedFileError(path, scan);
      }
    } finally {
      await file.close();
    }
    if (scan.damage.length > 0) {
      // Repair: the damaged journal is set aside and rewritten with every frame that verifies.
      report.repaired.push(await this.setAside(path, scan, payloads));
    } else if (scan.torn) {
      // A torn tail is a write that was never acknowledged: cut it so appends continue cleanly.
      this.log(
        `cut a torn tail of ${path}: ${scan.torn.bytes} byte(s) at offset ${scan.torn.offset} ` +
          `(${scan.torn.reason}), the unacknowledged remains of 1 incomplete frame`,
      );
      const handle = await this.fs.open(path);
      await handle.truncate(scan.torn.offset);
      await handle.datasync();
      await handle.close();
      report.tornBytes += scan.torn.bytes;
    }
    for (const payload of payloads)
      for (const op of decodeChanges(payload)) this.catalog.replay(op);
    report.journalRecords += payloads.length;
    payloads = [];
  }

  /** Moves a damaged file aside, writes back the frames that verify, and a JSON report. */
  private async setAside(
    path: string,
    scan: ScanResult,
    payloads: Buffer[] | undefined,
  ): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = `${path}.damaged-${stamp}`;
    const reportPath = join(this.dir, `repair-${stamp}-${path.slice(this.dir.length + 1)}.json`);
    this.fs.rename(path, aside);
    if (payloads) await writeDurably(this.fs, path, Buffer.concat(payloads.map((p) => frame(p))));
    const lost = scan.damage.reduce((sum, d) => sum + d.bytes, 0);
    const report = {
      file: path,
      setAside: aside,
      damage: scan.damage,
      tornBytes: scan.torn?.bytes ?? 0,
      framesKept: scan.frames.length,
      lostBytes: lost,
      note: payloads
        ? 'every frame that verified was written back; the damaged regions are lost'
        : 'the snapshot was loaded from the records that verified; the damaged regions are lost',
    };
    await writeDurably(this.fs, reportPath, Buffer.from(`${JSON.stringify(report, null, 2)}\n`));
    this.fs.syncDir(this.dir);
    this.log(
      `repair: ${path} had ${scan.damage.length} damaged region(s) (${lost} byte(s), first at offset ` +
        `${scan.damage[0]?.offset ?? scan.torn?.offset}); kept ${scan.frames.length} frame(s); ` +
        `original moved to ${aside}; report in ${reportPath}`,
    );
    return path;
  }

  /** Resolves once the changes are fsync'd; the command is acknowledged only after that. */
  commit(changes: ChangeSet): Promise<void> {
    if (changes.ops.length === 0) return Promise.resolve();
    const done = this.journal.append(encodeChanges(changes.ops));
    if (this.journal.size > this.dueBytes(this.compactAfterBytes)) this.startCompaction();
    return done;
  }

  private dueBytes(threshold: number): number {
    return this.proportional ? Math.max(threshold, this.snapshotBytes) : threshold;
  }

  /** Totals over all journal files since start. */
  journalStats(): { records: number; flushes: number } {
    return {
      records: this.closedStats.records + this.journal.stats.records,
      flushes: this.closedStats.flushes + this.journal.stats.flushes,
    };
  }

  private readonly closedStats = { records: 0, flushes: 0 };

  startCompaction(): void {
    // A failed compaction loses nothing (the journal still holds every write); it is retried later.
    this.compacting ??= this.compact()
      .catch((error: unknown) => {
        process.stderr.write(`embedded-mongo: compaction failed: ${String(error)}\n`);
      })
      .finally(() => {
        this.compacting = undefined;
      });
  }

  /**
   * Leaves no earlier version of any document in the files: two compactions, the second of which deletes the
   * generation that still held the old journal. For values that must be gone for good (an erased customer's key).
   */
  async purgeHistory(): Promise<void> {
    for (let round = 0; round < 2; round += 1) {
      while (this.compacting) await this.compacting;
      const run = this.compact();
      this.compacting = run
        .catch(() => undefined)
        .finally(() => {
          this.compacting = undefined;
        });
      await run;
    }
  }

  async compact(): Promise<void> {
    const previous = this.journal;
    const gen = this.generation + 1;
    this.journal = await JournalFile.open(this.fs, join(this.dir, journalName(gen)));
    // The new file's directory entry must be durable before writes acknowledged from it.
    this.fs.syncDir(this.dir);
    this.generation = gen;
    // Stored documents are replaced, never mutated, so holding the references is a consistent view.
    const captured = [...this.catalog.databases].flatMap(([db, collections]) =>
      [...collections.values()].map((store) => ({
        db,
        name: store.name,
        options: store.options,
        indexes: [...store.indexes.values()].map((i) => i.spec),
        records: [...store.records.values()],
      })),
    );
    const tmp = join(this.dir, `${snapshotName(gen)}.tmp`);
    this.fs.unlink(tmp);
    const handle = await this.fs.open(tmp);
    try {
      let at = 0;
      const write = async (payload: Buffer): Promise<void> => {
        const bytes = frame(payload);
        await handle.write(bytes, at);
        at += bytes.length;
      };
      const share = Math.min(1, Math.max(0.01, this.options.compactionShare ?? 1 / 3));
      await write(serializeDocument({ kind: 'header', gen }));
      for (const c of captured) {
        await write(serializeDocument({ kind: 'create', d: c.db, c: c.name, options: c.options }));
        for (let i = 0; i < c.records.length; i += SNAPSHOT_CHUNK) {
          const started = performance.now();
          const docs = c.records.slice(i, i + SNAPSHOT_CHUNK).map((r) => fromView(r.doc, r.hints));
          await write(serializeWithArray({ kind: 'docs', d: c.db, c: c.name }, 'docs', docs));
          const spent = performance.now() - started;
          if (share < 1 && spent > 0.5) await pause((spent * (1 - share)) / share);
          else await yieldToLoop();
        }
        for (const spec of c.indexes)
          await write(serializeDocument({ kind: 'index', d: c.db, c: c.name, spec }));
      }
      await write(serializeDocument({ kind: 'end' }));
      await handle.datasync();
      this.snapshotBytes = at;
    } finally {
      await handle.close();
    }
    this.fs.rename(tmp, join(this.dir, snapshotName(gen)));
    this.fs.syncDir(this.dir);
    await previous.close();
    this.closedStats.records += previous.stats.records;
    this.closedStats.flushes += previous.stats.flushes;
    // Generation gen-1 stays: if snapshot gen is ever damaged, snapshot gen-1 plus journals
    // gen-1 and gen rebuild the same state.
    for (const f of this.fs.readdir(this.dir)) {
      const j = generationOf(f, 'journal-', '.log');
      const s = generationOf(f, 'snapshot-', '.bin');
      if ((j !== undefined && j < gen - 1) || (s !== undefined && s < gen - 1)) {
        this.fs.unlink(join(this.dir, f));
      }
    }
    this.fs.syncDir(this.dir);
  }

  /**
   * Reads a snapshot's records. It is good only when every frame verifies, nothing is torn, and it
   * is complete: a header first and the end record last. `partial` keeps what verifies anyway.
   */
  private async readSnapshot(
    path: string,
    partial = false,
  ): Promise<{ records: SnapshotRecords; scan: ScanResult; problem?: string }> {
    const file = await this.fs.open(path);
    const records: SnapshotRecords = [];
    let scan: ScanResult;
    try {
      scan = scanFrames(
        windowedSource((position, length) => file.read(position, length)),
        file.size(),
        SCAN,
        (f) => {
          try {
            records.push(BSON.deserialize(f.payload, decodeOptions));
          } catch {
            // counted below through the record count
          }
        },
      );
    } finally {
      await file.close();
    }
    let problem: string | undefined;
    if (scan.damage.length > 0) problem = describeDamage(path, scan);
    else if (scan.torn) problem = `torn at offset ${scan.torn.offset} (${scan.torn.reason})`;
    else if (records.length !== scan.frames.length) problem = 'a record does not decode';
    else if (records[0]?.kind !== 'header') problem = 'no header record';
    else if (records.at(-1)?.kind !== 'end') problem = 'incomplete: no end record';
    if (problem && !partial) return { records: [], scan, problem };
    return { records, scan, problem };
  }

  private applySnapshot(records: SnapshotRecords): number {
    let documents = 0;
    for (const record of records) {
      if (record.kind === 'create') {
        const options = { ...(record.options as object) };
        toView(options);
        this.catalog.ensure(record.d as string, record.c as string, undefined, options);
      } else if (record.kind === 'docs') {
        const store = this.catalog.ensure(record.d as string, record.c as string, undefined);
        for (const doc of record.docs as Record<string, unknown>[]) {
          const stored = toView(doc);
          rememberHints(stored.doc, stored.hints);
          store.load(keyOf(stored.doc._id), stored);
          documents++;
        }
      } else if (record.kind === 'index') {
        const spec = { ...(record.spec as object) } as Record<string, unknown>;
        toView(spec);
        const store = this.catalog.ensure(record.d as string, record.c as string, undefined);
        store.addIndexUnchecked(spec as never);
      }
    }
    return documents;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.compacting) await this.compacting.catch(() => undefined);
    await this.journal.close();
    unlockDataDir(this.fs, this.dir);
  }
}

type SnapshotRecords = BSON.Document[];

async function writeDurably(fs: FileSystem, path: string, data: Buffer): Promise<void> {
  const handle: DataFile = await fs.open(path);
  try {
    await handle.truncate(0);
    await handle.write(data, 0);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
