import { Binary, type Collection, type Db } from 'mongodb';
import type { CustomerState } from '@app/domain';
import type { ProfileDocument } from '../profiles/profile.document';
import { decodeSnapshotValue, encodeSnapshotValue } from './as-of-snapshot.codec';

export const AS_OF_SNAPSHOTS_COLLECTION = 'as_of_snapshots';

/**
 * A customer's stream folded up to `revision` with nothing left out: every event up to it was recorded at or before
 * `recordedUntil` and took effect at or before `occurredUntil`. So any as-of query with `knownAt >= recordedUntil`
 * and `at >= occurredUntil` keeps all of those events and may start from here instead of the stream's start: the
 * events up to `revision` never change (the stream is append-only), and both bounds only grow along the stream.
 */
export interface AsOfSnapshot {
  revision: number;
  /**
   * The event at `revision`: its id, and its hash chain when it has one (which covers every event before it too). A
   * query resumes only if the stream still holds this event there (not an event store replaced under MongoDB).
   */
  tip: { eventId: string; chain: string | null };
  recordedUntil: number;
  occurredUntil: number;
  /** Customer events folded (events of other types are skipped and not counted). */
  eventsApplied: number;
  /** The decider's state: immutable, shared safely between queries. */
  state: CustomerState;
  /** The profile fold before its last step; copied by whoever resumes from it. */
  profile: ProfileDocument;
}

interface AsOfSnapshotDocument {
  /** `<customerId>@<foldVersion>#<revision>` */
  _id: string;
  customerId: string;
  foldVersion: string;
  revision: number;
  tipEventId: string;
  tipChain: string | null;
  recordedUntil: Date;
  occurredUntil: Date;
  eventsApplied: number;
  /** Taken at the end of a fold rather than at a regular revision: the next such one replaces it. */
  final: boolean;
  takenAt: Date;
  /** `{ state, profile }` in the exact encoding of as-of-snapshot.codec (sealed personal values only). */
  payload: Binary;
}

/** Below MongoDB's 16 MiB document limit, with room for the other fields. */
const MAX_PAYLOAD_BYTES = 15 * 1024 * 1024;

export type SnapshotSaveResult = 'saved' | 'too-large';

/**
 * As-of snapshots kept in MongoDB, so that a new API process (or another replica) resumes a customer's fold instead
 * of reading the whole stream. Each is tagged with the fold version of the process that took it, and only a process
 * of the same version uses it. Holds what the events hold: personal values sealed with the customer's key.
 */
export class AsOfSnapshotStore {
  private readonly collection: Collection<AsOfSnapshotDocument>;
  private indexed: Promise<unknown> | undefined;

  constructor(db: Db) {
    this.collection = db.collection<AsOfSnapshotDocument>(AS_OF_SNAPSHOTS_COLLECTION);
  }

  /** The index every look-up and deletion uses (created once per process, at the first save). */
  async setup(): Promise<void> {
    this.indexed ??= this.collection
      .createIndex({ customerId: 1, revision: 1 })
      .catch((error: unknown) => {
        this.indexed = undefined;
        throw error;
      });
    await this.indexed;
  }

  /**
   * Stores a snapshot (again at the same revision: replaced). A final one removes the customer's earlier final ones;
   * any save removes the customer's snapshots of other fold versions, which no process of this version would use.
   */
  async save(
    customerId: string,
    foldVersion: string,
    snapshot: AsOfSnapshot,
    options: { final: boolean },
  ): Promise<SnapshotSaveResult> {
    const payload = encodeSnapshotValue({ state: snapshot.state, profile: snapshot.profile });
    if (payload.length > MAX_PAYLOAD_BYTES) return 'too-large';
    await this.setup();
    const _id = `${customerId}@${foldVersion}#${snapshot.revision}`;
    await this.collection.replaceOne(
      { _id },
      {
        customerId,
        foldVersion,
        revision: snapshot.revision,
        tipEventId: snapshot.tip.eventId,
        tipChain: snapshot.tip.chain,
        recordedUntil: new Date(snapshot.recordedUntil),
        occurredUntil: new Date(snapshot.occurredUntil),
        eventsApplied: snapshot.eventsApplied,
        final: options.final,
        takenAt: new Date(),
        payload: new Binary(payload),
      },
      { upsert: true },
    );
    await this.collection.deleteMany({
      customerId,
      $or: [
        { foldVersion: { $ne: foldVersion } },
        ...(options.final ? [{ final: true, revision: { $lt: snapshot.revision } }] : []),
      ],
    });
    return 'saved';
  }

  /** The newest snapshot of this fold version a query for `at` as known at `knownAt` may start from. */
  async newestUsable(
    customerId: string,
    foldVersion: string,
    at: number,
    knownAt: number,
  ): Promise<AsOfSnapshot | undefined> {
    const [found] = await this.collection
      .find({
        customerId,
        foldVersion,
        occurredUntil: { $lte: new Date(at) },
        recordedUntil: { $lte: new Date(knownAt) },
      })
      .sort({ revision: -1 })
      .limit(1)
      .toArray();
    if (!found) return undefined;
    const { state, profile } = decodeSnapshotValue<Pick<AsOfSnapshot, 'state' | 'profile'>>(
      found.payload.value(),
    );
    return {
      revision: found.revision,
      tip: { eventId: found.tipEventId, chain: found.tipChain },
      recordedUntil: found.recordedUntil.getTime(),
      occurredUntil: found.occurredUntil.getTime(),
      eventsApplied: found.eventsApplied,
      state,
      profile,
    };
  }

  /** Deletes every snapshot of the customer (erasure). */
  async forget(customerId: string): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany({ customerId });
    return deletedCount;
  }
}
