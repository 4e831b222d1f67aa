import type { Db } from 'mongodb';
import { DURABLE } from '../projection/checkpoints';
import type { EventPosition } from '../projection/projection';

export const READ_MODEL_VERSIONS_COLLECTION = 'read_model_versions';

/** `<collection>__v<N>`: a version of a read model beside the live collection (which keeps its plain name). */
export function versionedName(collection: string, version: number): string {
  return `${collection}__v${version}`;
}

/** One document per read model that has been rebuilt: which version is live and which old copies are kept. */
export interface ReadModelVersionDocument {
  _id: string;
  /** The version the live collections hold; 1 until the first rebuild. */
  live: number;
  collections: string[];
  /** Old copies kept (`<collection>__v<N>`), until `drop-old`. */
  kept: string[];
  switchedAt: Date;
  lastRebuild: {
    version: number;
    events: number;
    ms: number;
    eventsPerSecond: number;
    commit: string | null;
  };
}

export function readModelVersions(db: Db) {
  const collection = db.collection<ReadModelVersionDocument>(READ_MODEL_VERSIONS_COLLECTION);
  return {
    async live(name: string): Promise<number> {
      return (await collection.findOne({ _id: name }))?.live ?? 1;
    },
    list(): Promise<ReadModelVersionDocument[]> {
      return collection.find({}).sort({ _id: 1 }).toArray();
    },
    async switched(
      name: string,
      collections: readonly string[],
      result: {
        version: number;
        events: number;
        ms: number;
        eventsPerSecond: number;
        position: EventPosition | undefined;
        kept: string[];
      },
    ): Promise<void> {
      await collection.updateOne(
        { _id: name },
        {
          $set: {
            live: result.version,
            collections: [...collections],
            switchedAt: new Date(),
            lastRebuild: {
              version: result.version,
              events: result.events,
              ms: result.ms,
              eventsPerSecond: result.eventsPerSecond,
              commit: result.position?.commit.toString() ?? null,
            },
          },
          $addToSet: { kept: { $each: result.kept } },
        },
        { upsert: true, writeConcern: DURABLE },
      );
    },
    /**
     * Drops every versioned copy of these collections except `keep` (a rebuild in progress): the old versions kept
     * at switches and what failed rebuilds left. Answers the names dropped.
     */
    async dropOld(
      name: string,
      collections: readonly string[],
      keep: readonly string[] = [],
    ): Promise<string[]> {
      const versioned = new RegExp(
        `^(${collections.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})__v\\d+$`,
      );
      const names = (await db.listCollections({}, { nameOnly: true }).toArray())
        .map((c) => c.name)
        .filter((c) => versioned.test(c) && !keep.includes(c))
        .sort();
      for (const c of names) await db.dropCollection(c);
      await collection.updateOne({ _id: name }, { $set: { kept: [] } });
      return names;
    },
  };
}
