import type { Collection, Db, WriteConcernSettings } from 'mongodb';
import { CHECKPOINTS_COLLECTION } from '../checkpoint.store';
import type { EventPosition } from './projection';

export type ProjectionState = 'running' | 'catching_up' | 'stopped' | 'failed';

/**
 * One document per projection in `projection_checkpoints`: how far it has got in `$all`, what it has done, and who
 * may write it (the lease). Positions are decimal strings: they are 64-bit and a double would round them.
 */
export interface ProjectionCheckpointDocument {
  _id: string;
  /** Last event applied; absent before the first batch. */
  commit?: string;
  prepare?: string;
  state: ProjectionState;
  eventsProjected: number;
  batches: number;
  lastBatch: { size: number; ms: number } | null;
  updatedAt: Date;
  lastError: { message: string; at: Date } | null;
  lease: { owner: string; expiresAt: Date } | null;
  /**
   * Written by a holder that found its lease taken, once its last write to the read model has finished: from then on
   * it writes nothing, so whoever took the lease need not wait for the old lease to run out.
   */
  handover?: { from: string; at: Date } | null;
  /** Present on a rebuild's checkpoint (`<name>__v<N>`): a copy being built, not a read model queries use. */
  rebuild?: { of: string; version: number; phase: string; startedAt: Date };
}

/** Durable before anything depends on it: the checkpoint must never get ahead of what a crash would keep. */
export const DURABLE: WriteConcernSettings = { w: 'majority', journal: true };

export function checkpointsCollection(db: Db): Collection<ProjectionCheckpointDocument> {
  return db.collection<ProjectionCheckpointDocument>(CHECKPOINTS_COLLECTION);
}

export function positionOf(doc: {
  commit?: string | null;
  prepare?: string | null;
}): EventPosition | undefined {
  if (doc.commit === undefined || doc.commit === null) return undefined;
  return { commit: BigInt(doc.commit), prepare: BigInt(doc.prepare ?? doc.commit) };
}

/** Orders two places in `$all`; `undefined` is before every event. */
export function comparePositions(a: EventPosition | undefined, b: EventPosition | undefined) {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export interface BatchRecord {
  through: EventPosition;
  state: ProjectionState;
  applied: number;
  size: number;
  ms: number;
  error?: string;
}

/**
 * The checkpoint documents as one process sees them. Every write a holder makes is conditional on it still owning
 * the lease, so a process that lost its lease cannot move a checkpoint another process now owns.
 */
export class ProjectionCheckpoints {
  private readonly collection: Collection<ProjectionCheckpointDocument>;

  constructor(
    db: Db,
    private readonly owner: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.collection = checkpointsCollection(db);
  }

  async load(name: string): Promise<ProjectionCheckpointDocument | null> {
    return this.collection.findOne({ _id: name });
  }

  /**
   * Takes the lease when nobody holds it, it has expired or it is already ours. A failed projection is taken by
   * nobody until someone resets it (its state set to `stopped`, or a rebuild).
   */
  async acquire(name: string, leaseMs: number): Promise<boolean> {
    const now = this.clock();
    try {
      await this.collection.updateOne(
        {
          _id: name,
          state: { $ne: 'failed' },
          $or: [
            { lease: null },
            { 'lease.owner': this.owner },
            { 'lease.expiresAt': { $lte: now } },
          ],
        },
        {
          $set: {
            lease: { owner: this.owner, expiresAt: new Date(now.getTime() + leaseMs) },
            state: 'catching_up',
            updatedAt: now,
          },
          $setOnInsert: { eventsProjected: 0, batches: 0, lastBatch: null, lastError: null },
        },
        { upsert: true, writeConcern: DURABLE },
      );
      return true;
    } catch (error) {
      // The document exists and its filter did not match: someone else holds the lease (or it failed).
      if ((error as { code?: unknown }).code === 11000) return false;
      throw error;
    }
  }

  /** Extends our lease; false when it is no longer ours. */
  async renew(name: string, leaseMs: number): Promise<boolean> {
    const now = this.clock();
    const result = await this.collection.updateOne(
      { _id: name, 'lease.owner': this.owner },
      { $set: { 'lease.expiresAt': new Date(now.getTime() + leaseMs) } },
      { writeConcern: DURABLE },
    );
    return result.matchedCount === 1;
  }

  /** Moves the checkpoint after a durable batch; false when the lease is no longer ours. */
  async record(name: string, batch: BatchRecord, leaseMs: number): Promise<boolean> {
    const now = this.clock();
    const result = await this.collection.updateOne(
      { _id: name, 'lease.owner': this.owner },
      {
        $set: {
          commit: batch.through.commit.toString(),
          prepare: batch.through.prepare.toString(),
          state: batch.state,
          lastBatch: { size: batch.size, ms: batch.ms },
          updatedAt: now,
          'lease.expiresAt': new Date(now.getTime() + leaseMs),
          ...(batch.error ? { lastError: { message: batch.error, at: now } } : {}),
        },
        $inc: { eventsProjected: batch.applied, batches: 1 },
      },
      { writeConcern: DURABLE },
    );
    return result.matchedCount === 1;
  }

  /**
   * Says that this process, whose lease another took, has finished its last write and will write nothing more (see
   * `handover`). Only while the lease is someone else's.
   */
  async acknowledgeLoss(name: string): Promise<void> {
    await this.collection.updateOne(
      { _id: name, 'lease.owner': { $nin: [this.owner, null] } },
      { $set: { handover: { from: this.owner, at: this.clock() } } },
      { writeConcern: DURABLE },
    );
  }

  /** Gives the lease up (so another process takes over at once) and leaves the projection in `state`. */
  async release(name: string, state: ProjectionState, error?: string): Promise<void> {
    const now = this.clock();
    await this.collection.updateOne(
      { _id: name, 'lease.owner': this.owner },
      {
        $set: {
          lease: null,
          state,
          updatedAt: now,
          ...(error ? { lastError: { message: error, at: now } } : {}),
        },
      },
      { writeConcern: DURABLE },
    );
  }
}
