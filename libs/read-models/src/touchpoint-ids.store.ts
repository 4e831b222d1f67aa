import { type Collection, type Db, MongoServerError } from 'mongodb';
import { isOnlyDuplicateKeys } from './mongo';

export const TOUCHPOINT_IDS_COLLECTION = 'touchpoint_ids';

interface TouchpointIdDocument {
  /** The touchpoint's event id: a UUID of its source and touchpoint id. */
  _id: string;
  customerId: string;
  claimedAt: Date;
}

/** A touchpoint's event id, and the customer a send names. */
export interface TouchpointClaim {
  eventId: string;
  customerId: string;
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

interface Round {
  claims: Map<string, string>;
  done: Promise<Map<string, string>>;
}

/**
 * Which customer each touchpoint event id belongs to: the first customer it is claimed for, for good. A claim is
 * journaled before the touchpoint's event is appended, so an event id never reaches a second customer's stream,
 * whichever process sends it; a claim whose append never happened (a crash between the two) still belongs to its
 * customer, so a retry for that customer goes through and one for any other is refused.
 *
 * One round trip per claim round: claims made while a round is in flight wait for it and go together in the next.
 */
export class TouchpointIdStore {
  private readonly collection: Collection<TouchpointIdDocument>;
  private next: Round | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(db: Db) {
    this.collection = db.collection<TouchpointIdDocument>(TOUCHPOINT_IDS_COLLECTION);
  }

  /** The customer each event id belongs to: the one given here, unless an earlier claim named another. */
  async claim(claims: readonly TouchpointClaim[]): Promise<Map<string, string>> {
    if (claims.length === 0) return new Map();
    const round = this.next ?? this.startRound();
    for (const { eventId, customerId } of claims) {
      // Within a round the first claim of an id speaks for it; the others learn its owner like anyone later.
      if (!round.claims.has(eventId)) round.claims.set(eventId, customerId);
    }
    const owners = await round.done;
    return new Map(claims.map(({ eventId }) => [eventId, owners.get(eventId)!]));
  }

  private startRound(): Round {
    const round: Round = { claims: new Map(), done: Promise.resolve(new Map()) };
    round.done = this.inFlight.then(() => {
      if (this.next === round) this.next = undefined;
      return this.write(new Map(round.claims));
    });
    this.inFlight = round.done.catch(() => undefined);
    this.next = round;
    return round;
  }

  private async write(claims: Map<string, string>): Promise<Map<string, string>> {
    const entries = [...claims];
    const owners = new Map<string, string>();
    let toRead = entries.map(([eventId]) => eventId);
    const claimedAt = new Date();
    try {
      const result = await this.collection.bulkWrite(
        entries.map(([eventId, customerId]) => ({
          updateOne: {
            filter: { _id: eventId },
            update: { $setOnInsert: { customerId, claimedAt } },
            upsert: true,
          },
        })),
        { ordered: false, writeConcern: { w: 'majority', journal: true } },
      );
      // What this write inserted is this round's; ids claimed before need their owner read.
      const inserted = new Set(Object.keys(result.upsertedIds).map(Number));
      for (const index of inserted) owners.set(entries[index][0], entries[index][1]);
      toRead = toRead.filter((_, index) => !inserted.has(index));
    } catch (error) {
      // A concurrent claimer (another process) inserted some first: theirs stand, read them below.
      if (!(error instanceof MongoServerError && isOnlyDuplicateKeys(error))) throw error;
    }
    if (toRead.length > 0) {
      const found = await this.collection
        .find({ _id: { $in: toRead } }, { projection: { customerId: 1 } })
        .toArray();
      for (const { _id, customerId } of found) owners.set(_id, customerId);
    }
    const lost = entries.find(([eventId]) => !owners.has(eventId));
    if (lost) throw new Error(`touchpoint id claim ${lost[0]} was neither stored nor found`);
    return owners;
  }
}
