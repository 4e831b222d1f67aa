import { type Collection, type Db, MongoBulkWriteError } from 'mongodb';
import { isOnlyDuplicateKeys, writeErrorsOf } from './mongo';
import { Rounds } from './rounds';

export const TOUCHPOINT_IDS_COLLECTION = 'touchpoint_ids';

/** Ids per round trip at most: a batch of the API in one, concurrent single sends many to one. */
const ROUND_IDS = 1000;

interface TouchpointIdDocument {
  /** The touchpoint's event id: a UUID of its source and touchpoint id. */
  _id: string;
  customerId: string;
  claimedAt: Date;
  /** How many rounds claimed it: sends of the touchpoint (retries, or the same send to several processes). */
  sends: number;
}

/** A touchpoint's event id, and the customer a send names. */
export interface TouchpointClaim {
  eventId: string;
  customerId: string;
}

/** Whom an id belongs to, and whether this claim was its first: no send of it had been claimed before. */
export interface ClaimResult {
  owner: string;
  first: boolean;
}

/**
 * A touchpoint id (source + touchpointId) sent for another customer than the one it was first sent for: its event
 * id would name two events.
 */
export class TouchpointIdReusedError extends Error {
  readonly code = 'TOUCHPOINT_ID_REUSED';
  constructor(
    readonly source: string,
    readonly touchpointId: string,
    readonly eventId: string,
    readonly belongsTo: string,
  ) {
    super(
      `touchpoint ${touchpointId} of source ${source} belongs to customer ${belongsTo}; ` +
        'a touchpoint id names one touchpoint of one customer',
    );
    this.name = 'TouchpointIdReusedError';
  }
  get details(): Record<string, unknown> {
    return {
      source: this.source,
      touchpointId: this.touchpointId,
      eventId: this.eventId,
      belongsTo: this.belongsTo,
    };
  }
}

/**
 * Which customer each touchpoint event id belongs to: the first customer it is claimed for, for good. A claim is
 * journaled before the touchpoint's event is appended, so an event id never reaches a second customer's stream,
 * whichever process sends it; a claim whose append never happened (a crash between the two) still belongs to its
 * customer, so a retry for that customer goes through and one for any other is refused.
 *
 * Each claim also counts the send, so that a writer can tell afterwards whether another send of the same
 * touchpoint was under way (`contested`): only then may its append have been taken as a re-send of another's.
 */
export class TouchpointIdStore {
  private readonly collection: Collection<TouchpointIdDocument>;
  // A round's ids go in one write and one `$in` query: bounded, as a batch of the API is.
  private readonly claims = new Rounds<string, ClaimResult>(
    (items) => this.claimNow(items),
    ROUND_IDS,
  );
  private readonly counts = new Rounds<true, number>(
    (items) => this.countNow([...items.keys()]),
    ROUND_IDS,
  );

  constructor(db: Db) {
    this.collection = db.collection<TouchpointIdDocument>(TOUCHPOINT_IDS_COLLECTION);
  }

  /** Whom each event id belongs to: the customer given here, unless an earlier claim named another. */
  async claim(claims: readonly TouchpointClaim[]): Promise<Map<string, ClaimResult>> {
    if (claims.length === 0) return new Map();
    const results = await this.claims.add(
      claims.map(({ eventId, customerId }) => [eventId, customerId]),
    );
    return new Map(claims.map(({ eventId }) => [eventId, results.get(eventId)!]));
  }

  /** Whether any of these ids has been claimed by more than one send. */
  async contested(eventIds: readonly string[]): Promise<boolean> {
    if (eventIds.length === 0) return false;
    const sends = await this.counts.add(eventIds.map((eventId) => [eventId, true]));
    return eventIds.some((eventId) => (sends.get(eventId) ?? 0) > 1);
  }

  private async claimNow(claims: Map<string, string>): Promise<Map<string, ClaimResult>> {
    const entries = [...claims];
    const results = new Map<string, ClaimResult>();
    let inserted: Set<number>;
    try {
      inserted = await this.upsert(entries);
    } catch (error) {
      // Another process inserted some of these ids between our look and our insert: those upserts failed and
      // counted nothing. Sent again they find the document, so that every send is counted.
      if (!(error instanceof MongoBulkWriteError && isOnlyDuplicateKeys(error))) throw error;
      inserted = new Set(Object.keys(error.result.upsertedIds).map(Number));
      const failed = new Set(writeErrorsOf(error).map(({ index }) => index));
      await this.upsert(entries.filter((_, index) => failed.has(index)));
    }
    for (const index of inserted) {
      results.set(entries[index][0], { owner: entries[index][1], first: true });
    }
    // Ids claimed before: their owner is read.
    const toRead = entries.filter((_, index) => !inserted.has(index)).map(([eventId]) => eventId);
    if (toRead.length > 0) {
      const found = await this.collection
        .find({ _id: { $in: toRead } }, { projection: { customerId: 1 } })
        .toArray();
      for (const { _id, customerId } of found)
        results.set(_id, { owner: customerId, first: false });
    }
    const lost = entries.find(([eventId]) => !results.has(eventId));
    if (lost) throw new Error(`touchpoint id claim ${lost[0]} was neither stored nor found`);
    return results;
  }

  /** Claims and counts each send; the indexes of the entries this write inserted. */
  private async upsert(entries: ReadonlyArray<[string, string]>): Promise<Set<number>> {
    if (entries.length === 0) return new Set();
    const claimedAt = new Date();
    const result = await this.collection.bulkWrite(
      entries.map(([eventId, customerId]) => ({
        updateOne: {
          filter: { _id: eventId },
          update: { $setOnInsert: { customerId, claimedAt }, $inc: { sends: 1 } },
          upsert: true,
        },
      })),
      { ordered: false, writeConcern: { w: 'majority', journal: true } },
    );
    return new Set(Object.keys(result.upsertedIds).map(Number));
  }

  private async countNow(eventIds: string[]): Promise<Map<string, number>> {
    const found = await this.collection
      .find({ _id: { $in: eventIds } }, { projection: { sends: 1 } })
      .toArray();
    return new Map(found.map(({ _id, sends }) => [_id, sends]));
  }
}
