import type { Collection, Db } from 'mongodb';

export interface StoredPosition {
  commit: bigint;
  prepare: bigint;
}

interface CheckpointDocument {
  _id: string;
  commit?: string;
  prepare?: string;
  /** Written by the projection runner (`eventsSeen` by its predecessor). */
  eventsProjected?: number;
  eventsSeen?: number;
  updatedAt: Date;
}

export const CHECKPOINTS_COLLECTION = 'projection_checkpoints';

/** The projector's own follower of the customer streams; its checkpoint is the projector's position. */
export const POSITION_TRACKER = 'position-tracker';

/**
 * Where each projection has got to in `$all`. Positions are kept as decimal strings: they are 64-bit and a
 * double would round them.
 */
export class MongoCheckpointStore {
  private readonly collection: Collection<CheckpointDocument>;

  constructor(db: Db) {
    this.collection = db.collection<CheckpointDocument>(CHECKPOINTS_COLLECTION);
  }

  async load(name: string): Promise<(StoredPosition & { eventsSeen: number }) | null> {
    const doc = await this.collection.findOne({ _id: name });
    if (doc?.commit === undefined) return null;
    return {
      commit: BigInt(doc.commit),
      prepare: BigInt(doc.prepare ?? doc.commit),
      eventsSeen: doc.eventsProjected ?? doc.eventsSeen ?? 0,
    };
  }

  async save(name: string, position: StoredPosition, eventsSeen: number): Promise<void> {
    await this.collection.updateOne(
      { _id: name },
      {
        $set: {
          commit: position.commit.toString(),
          prepare: position.prepare.toString(),
          eventsSeen,
          updatedAt: new Date(),
        },
      },
      { upsert: true, writeConcern: { w: 'majority', journal: true } },
    );
  }
}
