import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { BSON } from 'bson';
import { fromView, keyOf, rememberHints, toView } from '../bson/bson-values';
import { type Catalog, type ChangeSet, decodeChanges, encodeChanges } from '../engine/catalog';
import { decodeOptions } from '../wire/wire-protocol';
import { JournalFile, frame, readFrames, truncateFile } from './journal-file';

// Small chunks keep each synchronous serialize slice short, so compaction barely adds latency.
const SNAPSHOT_CHUNK = 200;

export interface PersistenceOptions {
  /** Journal size that triggers compaction into a snapshot. */
  compactAfterBytes?: number;
  /** How often the journal size is checked. */
  compactCheckMs?: number;
}

const LOCK_FILE = 'mongod.lock';
const lockedHere = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One server per data dir: a second one would interleave journal writes and corrupt it. */
function lockDataDir(dir: string): void {
  const path = join(dir, LOCK_FILE);
  if (lockedHere.has(dir)) throw new Error(`embedded-mongo: data directory ${dir} is already open`);
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = Number(readFileSync(path, 'utf8'));
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new Error(`embedded-mongo: data directory ${dir} is in use by process ${holder}`, {
        cause: error,
      });
    }
    // Left behind by a killed server: take it over.
    writeFileSync(path, String(process.pid));
  }
  lockedHere.add(dir);
}

function unlockDataDir(dir: string): void {
  lockedHere.delete(dir);
  rmSync(join(dir, LOCK_FILE), { force: true });
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
 * writes a snapshot of generation G+1 and starts journal G+1, after which older files go.
 * Recovery loads the newest complete snapshot and replays the journals from its generation on.
 */
export class Persistence {
  private journal!: JournalFile;
  private generation = 0;
  private compacting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly compactAfterBytes: number;

  constructor(
    private readonly dir: string,
    private readonly catalog: Catalog,
    private readonly options: PersistenceOptions = {},
  ) {
    this.compactAfterBytes = options.compactAfterBytes ?? 64 * 1024 * 1024;
  }

  async open(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    lockDataDir(this.dir);
    const files = readdirSync(this.dir);
    for (const f of files) if (f.endsWith('.tmp')) rmSync(join(this.dir, f), { force: true });
    const snapshots = files
      .map((f) => generationOf(f, 'snapshot-', '.bin'))
      .filter((g): g is number => g !== undefined)
      .sort((a, b) => b - a);
    let base = 0;
    for (const gen of snapshots) {
      if (this.loadSnapshot(join(this.dir, snapshotName(gen)))) {
        base = gen;
        break;
      }
    }
    const journals = files
      .map((f) => generationOf(f, 'journal-', '.log'))
      .filter((g): g is number => g !== undefined && g >= base)
      .sort((a, b) => a - b);
    for (const gen of journals) {
      const path = join(this.dir, journalName(gen));
      const { payloads, validLength, fileLength } = readFrames(path);
      for (const payload of payloads)
        for (const op of decodeChanges(payload)) this.catalog.replay(op);
      // A torn tail is a write that was never acknowledged: cut it so appends continue cleanly.
      if (validLength < fileLength) truncateFile(path, validLength);
    }
    this.generation = Math.max(base, journals.at(-1) ?? base, 1);
    this.journal = await JournalFile.open(join(this.dir, journalName(this.generation)));
    this.syncDir();
    this.timer = setInterval(() => {
      if (this.journal.size > Math.min(this.compactAfterBytes, 4 * 1024 * 1024))
        this.startCompaction();
    }, this.options.compactCheckMs ?? 30_000);
    this.timer.unref();
  }

  /** Resolves once the changes are fsync'd; the command is acknowledged only after that. */
  commit(changes: ChangeSet): Promise<void> {
    if (changes.ops.length === 0) return Promise.resolve();
    const done = this.journal.append(encodeChanges(changes.ops));
    if (this.journal.size > this.compactAfterBytes) this.startCompaction();
    return done;
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

  async compact(): Promise<void> {
    const previous = this.journal;
    const gen = this.generation + 1;
    this.journal = await JournalFile.open(join(this.dir, journalName(gen)));
    // The new file's directory entry must be durable before writes acknowledged from it.
    this.syncDir();
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
    const handle = await open(tmp, 'w');
    try {
      const write = async (record: object): Promise<void> => {
        await handle.write(frame(BSON.serialize(record, { ignoreUndefined: true })));
      };
      await write({ kind: 'header', gen });
      for (const c of captured) {
        await write({ kind: 'create', d: c.db, c: c.name, options: c.options });
        for (let i = 0; i < c.records.length; i += SNAPSHOT_CHUNK) {
          const docs = c.records.slice(i, i + SNAPSHOT_CHUNK).map((r) => fromView(r.doc, r.hints));
          await write({ kind: 'docs', d: c.db, c: c.name, docs });
          await yieldToLoop();
        }
        for (const spec of c.indexes) await write({ kind: 'index', d: c.db, c: c.name, spec });
      }
      await write({ kind: 'end' });
      await handle.datasync();
    } finally {
      await handle.close();
    }
    renameSync(tmp, join(this.dir, snapshotName(gen)));
    this.syncDir();
    await previous.close();
    this.closedStats.records += previous.stats.records;
    this.closedStats.flushes += previous.stats.flushes;
    for (const f of readdirSync(this.dir)) {
      const j = generationOf(f, 'journal-', '.log');
      const s = generationOf(f, 'snapshot-', '.bin');
      if ((j !== undefined && j < gen) || (s !== undefined && s < gen)) {
        rmSync(join(this.dir, f), { force: true });
      }
    }
  }

  private syncDir(): void {
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Loads a snapshot if it is complete (ends with its end record); otherwise leaves nothing. */
  private loadSnapshot(path: string): boolean {
    const { payloads } = readFrames(path);
    const records = payloads.map((p) => BSON.deserialize(p, decodeOptions));
    if (records.length === 0 || records.at(-1)?.kind !== 'end') return false;
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
          store.records.set(keyOf(stored.doc._id), stored);
        }
      } else if (record.kind === 'index') {
        const spec = { ...(record.spec as object) } as Record<string, unknown>;
        toView(spec);
        const store = this.catalog.ensure(record.d as string, record.c as string, undefined);
        store.addIndexUnchecked(spec as never);
      }
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.compacting) await this.compacting.catch(() => undefined);
    await this.journal.close();
    unlockDataDir(this.dir);
  }
}
