import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import {
  checkpointsCollection,
  comparePositions,
  DURABLE,
  positionOf,
  ProjectionCheckpoints,
  type ProjectionCheckpointDocument,
} from '../projection/checkpoints';
import type { EventPosition, ProjectedEvent, Projection } from '../projection/projection';
import { renamedProjection } from './renamed-projection';
import { readModelVersions, versionedName } from './read-model-versions';

/** Where a rebuild reads stored events from (the composition point joins the event store to it). */
export interface RebuildSource {
  /** The customer events after `after` (undefined: from the start of `$all`), up to the end of the log now. */
  readAfter(after: EventPosition | undefined): AsyncIterable<ProjectedEvent>;
  /** Commit position of the newest customer event, for progress and ETA. */
  head(): Promise<bigint | undefined>;
}

export type RebuildPhase = 'building' | 'catching_up' | 'switching' | 'switched' | 'failed';

/** What a running rebuild says about itself, in its checkpoint document and to `onProgress`. */
export interface RebuildProgress {
  projection: string;
  version: number;
  phase: RebuildPhase;
  events: number;
  position: EventPosition | undefined;
  /** Head of the customer streams when last asked. */
  head: bigint | undefined;
  eventsPerSecond: number;
  /** Seconds left at the current rate, from the remaining share of the log; null when unknown. */
  etaSeconds: number | null;
  /** 0..1 of the log between the start and the head. */
  fraction: number | null;
}

export interface RebuildOptions {
  db: Db;
  /** The live projection, as the projector runs it. */
  projection: Projection;
  source: RebuildSource;
  batchSize?: number;
  /** The rebuild's own lease on its checkpoint, and its hold on the live one while switching (default 10 s). */
  leaseMs?: number;
  /** Added to the live holder's lease expiry before switching, for a batch it had begun (default 1 s). */
  settleMs?: number;
  owner?: string;
  onProgress?(progress: RebuildProgress): void;
  /** How often `onProgress` is called at most (default 1 s); always at phase changes. */
  progressEveryMs?: number;
}

export interface RebuildResult {
  projection: string;
  version: number;
  previousVersion: number;
  events: number;
  ms: number;
  eventsPerSecond: number;
  /** Where the new read model stands; the live projector continues from here. */
  position: EventPosition | undefined;
  /** The copy of the replaced read model, kept until `drop-old`. */
  kept: string[];
  /** From position zero to caught up with the live checkpoint, before the switch began. */
  build: { events: number; ms: number; eventsPerSecond: number };
  /** Taking the live lease (waiting out the holder's), the last events, keeping the old copy, renaming. */
  switchMs: number;
}

/** Another rebuild of the same read model holds the lease of the version this one would build. */
export class RebuildRunningError extends Error {
  readonly code = 'REBUILD_RUNNING';
  constructor(
    readonly projection: string,
    readonly checkpoint: string,
  ) {
    super(`a rebuild of ${projection} is running already (${checkpoint})`);
    this.name = 'RebuildRunningError';
  }
}

/** Stored in the rebuild's checkpoint document: marks it as a rebuild, not a live read model. */
export interface RebuildInfo {
  of: string;
  version: number;
  phase: RebuildPhase;
  startedAt: Date;
}

/**
 * A rebuild that starts (takes its lease, picks the version) before `run()` does the work, so a caller such as
 * the admin route can answer with a handle at once and let the work go on.
 */
export interface PreparedRebuild {
  projection: string;
  version: number;
  /** The rebuild's checkpoint id (`<name>__v<N>`), as listed by the projections' status. */
  checkpoint: string;
  run(): Promise<RebuildResult>;
}

/**
 * Builds a fresh copy of a read model from position zero beside the live one (`<collection>__v<N>`, written by the
 * same projection code under its own checkpoint `<name>__v<N>` and lease), catches up with the live projection,
 * then switches: it takes the live projection's lease (waiting out the holder's), brings the copy to at least
 * the live checkpoint, keeps the live collections as `<collection>__v<N-1>`, renames the copy over them
 * (renameCollection with dropTarget: readers see the old or the new collection, never none), moves the live
 * checkpoint to the copy's position and gives the lease back. The live projector then carries on from there.
 */
export async function prepareRebuild(options: RebuildOptions): Promise<PreparedRebuild> {
  const { db, projection } = options;
  const owner = options.owner ?? `rebuild:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? 10_000;
  const versions = readModelVersions(db);
  const live = await versions.live(projection.name);
  const version = live + 1;
  const suffix = versionedName('', version);
  const copy = renamedProjection(projection, suffix);
  const checkpoint = copy.name;
  const info: RebuildInfo = {
    of: projection.name,
    version,
    phase: 'building',
    startedAt: new Date(),
  };
  if (!(await takeRebuildLease(db, checkpoint, owner, leaseMs, info))) {
    throw new RebuildRunningError(projection.name, checkpoint);
  }
  return {
    projection: projection.name,
    version,
    checkpoint,
    run: () => runRebuild({ ...options, owner, leaseMs }, copy, info, live),
  };
}

export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  return (await prepareRebuild(options)).run();
}

async function runRebuild(
  options: RebuildOptions & { owner: string; leaseMs: number },
  copy: Projection,
  info: RebuildInfo,
  previousVersion: number,
): Promise<RebuildResult> {
  const { db, projection, source, owner, leaseMs } = options;
  const durableDb = db.client.db(db.databaseName, { writeConcern: DURABLE });
  const checkpoints = new ProjectionCheckpoints(db, owner);
  const collection = checkpointsCollection(db);
  const batchSize = options.batchSize ?? 2000;
  const startedAt = Date.now();
  let position: EventPosition | undefined;
  let events = 0;
  let head = await source.head();
  let holdingLive = false;
  let lastReport = 0;
  const report = (phase: RebuildPhase, force = false) => {
    const now = Date.now();
    if (!options.onProgress || (!force && now - lastReport < (options.progressEveryMs ?? 1000)))
      return;
    lastReport = now;
    const seconds = Math.max(0.001, (now - startedAt) / 1000);
    const done = position ? Number(position.commit) : 0;
    const total = head === undefined ? undefined : Number(head);
    const fraction = total ? Math.min(1, done / total) : null;
    const bytesPerSecond = done / seconds;
    options.onProgress({
      projection: projection.name,
      version: info.version,
      phase,
      events,
      position,
      head,
      eventsPerSecond: Math.round(events / seconds),
      fraction,
      etaSeconds: total && bytesPerSecond > 0 ? Math.max(0, (total - done) / bytesPerSecond) : null,
    });
  };
  const setPhase = async (phase: RebuildPhase) => {
    info.phase = phase;
    await collection.updateOne(
      { _id: copy.name, 'lease.owner': owner },
      { $set: { 'rebuild.phase': phase, updatedAt: new Date() } },
      { writeConcern: DURABLE },
    );
    report(phase, true);
  };
  // Renewals between batches, and while waiting out the live holder's lease.
  const renewals = setInterval(
    () => {
      void checkpoints.renew(copy.name, leaseMs).catch(() => undefined);
      if (holdingLive) void checkpoints.renew(projection.name, leaseMs).catch(() => undefined);
    },
    Math.max(10, Math.floor(leaseMs / 3)),
  );
  // The copy is written by this rebuild alone: a projection that can keeps its documents in memory across batches
  // and writes each changed one once per flush (see FLUSH_EVERY_MS), not once per batch; the checkpoint
  // moves at each flush, after the documents are durable, as it does after each batch otherwise.
  const buffer = copy.buffered?.();
  let unflushed = { events: 0, since: Date.now() };
  const recordThrough = async (through: EventPosition, applied: number, started: number) => {
    const recorded = await checkpoints.record(
      copy.name,
      { through, state: 'catching_up', applied, size: applied, ms: Date.now() - started },
      leaseMs,
    );
    if (!recorded) throw new Error(`lost the lease of ${copy.name}`);
  };
  const flush = async () => {
    if (!buffer || !position || unflushed.events === 0) return;
    const started = Date.now();
    await buffer.flush(durableDb);
    await recordThrough(position, unflushed.events, started);
    unflushed = { events: 0, since: Date.now() };
  };
  const drain = async (phase: RebuildPhase) => {
    await applyInBatches(source.readAfter(position), batchSize, async (batch) => {
      const started = Date.now();
      const through = batch[batch.length - 1].position;
      if (buffer) {
        await buffer.apply(durableDb, batch);
        position = through;
        unflushed.events += batch.length;
        if (buffer.pending >= FLUSH_DOCUMENTS || Date.now() - unflushed.since >= FLUSH_EVERY_MS) {
          await flush();
        }
      } else {
        await copy.apply(durableDb, batch);
        await recordThrough(through, batch.length, started);
        position = through;
      }
      events += batch.length;
      report(phase);
    });
    await flush();
  };
  try {
    // Every rebuild starts from position zero: what an earlier attempt left in its copy (one that failed) goes first.
    await dropAll(db, copy.collections);
    await copy.setup(db);
    report('building', true);
    await drain('building');
    head = await source.head();
    await setPhase('catching_up');
    await drain('catching_up');

    const build = { events, ms: Date.now() - startedAt };
    await setPhase('switching');
    const liveBefore = await takeLiveLease(db, projection.name, owner, leaseMs);
    holdingLive = true;
    const holder = liveBefore?.lease?.owner !== owner ? liveBefore?.lease : undefined;
    if (holder) {
      // The holder writes nothing once it has seen its lease taken and finished the batch in hand, and says so
      // (handover); one that says nothing (stopped, stuck) is waited out.
      await handedOver(
        db,
        projection.name,
        holder.owner,
        +holder.expiresAt + (options.settleMs ?? 1000),
      );
    }
    // The live checkpoint cannot move now: bring the copy to it (and to the head while at it).
    const liveDoc = await collection.findOne({ _id: projection.name });
    const liveAt = liveDoc ? positionOf(liveDoc) : undefined;
    await drain('switching');
    if (comparePositions(position, liveAt) < 0) {
      throw new Error(
        `the copy stopped at ${position?.commit ?? 'the start'} before the live checkpoint ${liveAt?.commit}`,
      );
    }
    const versions = readModelVersions(db);
    const kept = await switchCollections(db, projection.collections, info.version, previousVersion);
    await collection.updateOne(
      { _id: projection.name, 'lease.owner': owner },
      {
        $set: {
          lease: null,
          state: 'stopped',
          lastError: null,
          updatedAt: new Date(),
          ...(position
            ? { commit: position.commit.toString(), prepare: position.prepare.toString() }
            : {}),
        },
      },
      { writeConcern: DURABLE },
    );
    holdingLive = false;
    const ms = Date.now() - startedAt;
    const result: RebuildResult = {
      projection: projection.name,
      version: info.version,
      previousVersion,
      events,
      ms,
      eventsPerSecond: Math.round((events * 1000) / Math.max(1, ms)),
      position,
      kept,
      build: {
        ...build,
        eventsPerSecond: Math.round((build.events * 1000) / Math.max(1, build.ms)),
      },
      switchMs: ms - build.ms,
    };
    // The copy's checkpoint goes first: once the new version is recorded as live, no rebuild is listed for it.
    await collection.deleteOne({ _id: copy.name });
    await versions.switched(projection.name, projection.collections, result);
    info.phase = 'switched';
    report('switched', true);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    info.phase = 'failed';
    await collection
      .updateOne(
        { _id: copy.name },
        {
          $set: {
            state: 'failed',
            lease: null,
            'rebuild.phase': 'failed',
            lastError: { message, at: new Date() },
            updatedAt: new Date(),
          },
        },
      )
      .catch(() => undefined);
    if (holdingLive) {
      await collection
        .updateOne({ _id: projection.name, 'lease.owner': owner }, { $set: { lease: null } })
        .catch(() => undefined);
    }
    report('failed', true);
    throw error;
  } finally {
    clearInterval(renewals);
  }
}

/**
 * A buffered rebuild writes its changed documents when this many are waiting, or after FLUSH_EVERY_MS. Every flush
 * rewrites each document changed since the last one (and the store journals each in full), so flushes are rare:
 * often enough that a failed rebuild replays at most a minute, and a buffer holds at most about this many documents
 * (DocumentBuffer's own bound).
 */
const FLUSH_DOCUMENTS = 100_000;
const FLUSH_EVERY_MS = 60_000;

/**
 * Takes (or resets) the rebuild's checkpoint document unless a live lease holds it; a failed or abandoned rebuild
 * of the same version starts again from zero.
 */
async function takeRebuildLease(
  db: Db,
  id: string,
  owner: string,
  leaseMs: number,
  info: RebuildInfo,
): Promise<boolean> {
  const now = new Date();
  try {
    await checkpointsCollection(db).updateOne(
      { _id: id, $or: [{ lease: null }, { 'lease.expiresAt': { $lte: now } }] },
      {
        $set: {
          state: 'catching_up',
          lease: { owner, expiresAt: new Date(now.getTime() + leaseMs) },
          eventsProjected: 0,
          batches: 0,
          lastBatch: null,
          lastError: null,
          updatedAt: now,
          rebuild: info,
        },
        $unset: { commit: '', prepare: '' },
      },
      { upsert: true, writeConcern: DURABLE },
    );
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 11000) return false;
    throw error;
  }
}

/**
 * Takes the live projection's lease whoever holds it, and answers the document as it was: its holder stops
 * writing once its own lease runs out (it renews nothing it no longer owns and checks its lease before a batch).
 */
async function takeLiveLease(
  db: Db,
  name: string,
  owner: string,
  leaseMs: number,
): Promise<ProjectionCheckpointDocument | null> {
  const now = new Date();
  return checkpointsCollection(db).findOneAndUpdate(
    { _id: name },
    {
      $set: {
        lease: { owner, expiresAt: new Date(now.getTime() + leaseMs) },
        handover: null,
        updatedAt: now,
      },
      $setOnInsert: {
        state: 'stopped',
        eventsProjected: 0,
        batches: 0,
        lastBatch: null,
        lastError: null,
      },
    },
    { upsert: true, returnDocument: 'before', writeConcern: DURABLE },
  );
}

/**
 * Keeps each live collection as `<collection>__v<previous>` (a copy: readers go on reading the live one), then
 * renames the new version over it with dropTarget, which readers see as one step.
 */
async function switchCollections(
  db: Db,
  collections: readonly string[],
  version: number,
  previous: number,
): Promise<string[]> {
  const existing = new Set(
    (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name),
  );
  const kept: string[] = [];
  for (const name of collections) {
    if (!existing.has(name)) continue;
    const old = versionedName(name, previous);
    await db
      .collection(name)
      .aggregate([{ $match: {} }, { $out: old }])
      .toArray();
    kept.push(old);
  }
  for (const name of collections) {
    const fresh = versionedName(name, version);
    if (!existing.has(fresh)) await db.createCollection(fresh);
    await db.renameCollection(fresh, name, { dropTarget: true });
  }
  return kept;
}

/**
 * Pulls events in batches and applies each while the next `ahead` are being read: reading (the event store and the
 * client's decoding) and applying (folding, MongoDB's durable writes) then wait for each other only when one of
 * them is `ahead` batches behind.
 */
export async function applyInBatches(
  events: AsyncIterable<ProjectedEvent>,
  size: number,
  apply: (batch: ProjectedEvent[]) => Promise<void>,
  ahead = 3,
): Promise<void> {
  const iterator = batches(events, size)[Symbol.asyncIterator]();
  // Requests queued on an async generator are served in order, each running it to its next batch.
  const reads: Array<Promise<IteratorResult<ProjectedEvent[], void>>> = [];
  const readAhead = () => {
    while (reads.length < Math.max(1, ahead)) {
      const read = iterator.next();
      // A failing apply leaves reads pending: their outcome no longer matters.
      read.catch(() => undefined);
      reads.push(read);
    }
  };
  let finished = false;
  try {
    readAhead();
    for (;;) {
      const result = await reads.shift()!;
      if (result.done) {
        finished = true;
        return;
      }
      readAhead();
      await apply(result.value);
    }
  } finally {
    if (!finished) await iterator.return?.(undefined).catch(() => undefined);
  }
}

async function* batches(
  events: AsyncIterable<ProjectedEvent>,
  size: number,
): AsyncGenerator<ProjectedEvent[]> {
  let batch: ProjectedEvent[] = [];
  for await (const event of events) {
    batch.push(event);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Resolves once `holder` has acknowledged the loss of the live lease, or at `until` (its lease run out). */
async function handedOver(db: Db, name: string, holder: string, until: number): Promise<void> {
  const checkpoints = checkpointsCollection(db);
  while (Date.now() < until) {
    const doc = await checkpoints.findOne({ _id: name }, { projection: { handover: 1 } });
    if (doc?.handover?.from === holder) return;
    await sleep(Math.min(HANDOVER_POLL_MS, Math.max(0, until - Date.now())));
  }
}

const HANDOVER_POLL_MS = 100;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A name that is none of the read models that can be rebuilt. */
export class UnknownProjectionError extends Error {
  readonly code = 'UNKNOWN_PROJECTION';
  constructor(
    readonly projection: string,
    readonly valid: readonly string[],
  ) {
    super(`unknown read model '${projection}'; valid names: ${valid.join(', ')}`);
    this.name = 'UnknownProjectionError';
  }
}

/** The projection of that name among those that write collections (the position tracker writes none). */
export function projectionNamed(projections: readonly Projection[], name: string): Projection {
  const candidates = projections.filter((projection) => projection.collections.length > 0);
  const found = candidates.find((projection) => projection.name === name);
  if (!found)
    throw new UnknownProjectionError(
      name,
      candidates.map((p) => p.name),
    );
  return found;
}

/** Drops these collections of `db`, those that exist. */
export async function dropAll(db: Db, collections: readonly string[]): Promise<void> {
  for (const name of collections) {
    await db.dropCollection(name).catch(() => undefined);
  }
}
