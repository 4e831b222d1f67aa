import type { Db } from 'mongodb';
import {
  checkpointsCollection,
  positionOf,
  type ProjectionCheckpointDocument,
  type ProjectionState,
} from './checkpoints';
import { deadLetterCounts } from './dead-letters';
import type { EventPosition } from './projection';

export interface ProjectionStatus {
  name: string;
  state: ProjectionState;
  /** Last event applied (decimal strings), null before the first batch. */
  checkpoint: { commit: string; prepare: string } | null;
  /** Behind the head of the customer streams: bytes of log (`positions`) and, when counted, events. */
  lag: { positions: number | null; events: number | null };
  caughtUp: boolean;
  eventsProjected: number;
  batches: number;
  lastBatch: { size: number; ms: number } | null;
  updatedAt: string;
  lastError: { message: string; at: string } | null;
  lease: { owner: string; expiresAt: string; active: boolean } | null;
  deadLetters: number;
  /** Set for a rebuild in progress (or failed): which read model, which version, what it is doing. */
  rebuild?: { of: string; version: number; phase: string; startedAt: string };
}

export interface ProjectionStatusOptions {
  /** Counts the customer events after a checkpoint (bounded by the caller); lag in events stays null without it. */
  eventsAfter?(position: EventPosition | undefined): Promise<number>;
  now?: Date;
}

/** Every projection's checkpoint document, with its lag behind `head` (the newest customer event's position). */
export async function projectionStatus(
  db: Db,
  head?: EventPosition | bigint,
  options: ProjectionStatusOptions = {},
): Promise<ProjectionStatus[]> {
  const now = options.now ?? new Date();
  const headCommit = typeof head === 'bigint' ? head : head?.commit;
  const [docs, parked] = await Promise.all([
    checkpointsCollection(db).find({}).sort({ _id: 1 }).toArray(),
    deadLetterCounts(db),
  ]);
  const counted = new Map<string, Promise<number>>();
  const eventsBehind = (position: EventPosition | undefined) => {
    if (!options.eventsAfter || headCommit === undefined) return Promise.resolve(null);
    if (position && position.commit >= headCommit) return Promise.resolve(0);
    const key = position ? `${position.commit}/${position.prepare}` : 'start';
    if (!counted.has(key)) counted.set(key, options.eventsAfter(position));
    return counted.get(key)!;
  };
  return Promise.all(
    docs.map(async (doc) => {
      const checkpoint = positionOf(doc);
      const positions =
        headCommit === undefined
          ? null
          : Number(
              checkpoint === undefined || checkpoint.commit < headCommit
                ? headCommit - (checkpoint?.commit ?? 0n)
                : 0n,
            );
      return {
        name: doc._id,
        state: doc.state ?? 'stopped',
        checkpoint: checkpoint
          ? { commit: checkpoint.commit.toString(), prepare: checkpoint.prepare.toString() }
          : null,
        lag: { positions, events: await eventsBehind(checkpoint) },
        caughtUp:
          headCommit === undefined || (checkpoint !== undefined && checkpoint.commit >= headCommit),
        eventsProjected: doc.eventsProjected ?? 0,
        batches: doc.batches ?? 0,
        lastBatch: doc.lastBatch ?? null,
        updatedAt: (doc.updatedAt ?? now).toISOString(),
        lastError: doc.lastError
          ? { message: doc.lastError.message, at: doc.lastError.at.toISOString() }
          : null,
        lease: leaseOf(doc, now),
        deadLetters: parked.get(doc._id) ?? 0,
        ...(doc.rebuild
          ? { rebuild: { ...doc.rebuild, startedAt: doc.rebuild.startedAt.toISOString() } }
          : {}),
      };
    }),
  );
}

function leaseOf(doc: ProjectionCheckpointDocument, now: Date): ProjectionStatus['lease'] {
  if (!doc.lease) return null;
  return {
    owner: doc.lease.owner,
    expiresAt: doc.lease.expiresAt.toISOString(),
    active: doc.lease.expiresAt > now,
  };
}

/**
 * Resolves true once every named projection's checkpoint is at or past `position` (a commit position), false when
 * `timeoutMs` pass first. No names: every projection that has a checkpoint document, rebuilds aside (queries do
 * not read a copy being built).
 */
export async function waitForPosition(
  db: Db,
  names: readonly string[],
  position: bigint | EventPosition,
  timeoutMs: number,
  pollMs = 25,
): Promise<boolean> {
  const target = typeof position === 'bigint' ? position : position.commit;
  const deadline = Date.now() + timeoutMs;
  const collection = checkpointsCollection(db);
  for (;;) {
    const docs = await collection
      .find(names.length > 0 ? { _id: { $in: [...names] } } : { rebuild: { $exists: false } }, {
        projection: { commit: 1, prepare: 1 },
      })
      .toArray();
    const reached = new Set(
      docs.filter((doc) => (positionOf(doc)?.commit ?? -1n) >= target).map((doc) => doc._id),
    );
    const done =
      names.length > 0
        ? names.every((name) => reached.has(name))
        : docs.length > 0 && reached.size === docs.length;
    if (done) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
  }
}
