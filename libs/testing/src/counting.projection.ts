import type { Db, ProjectedEvent, Projection } from '@app/read-models';

/** What the counting projection keeps per stream: a pure function of the events, so runs can be compared. */
export interface CountDocument {
  _id: string;
  count: number;
  /** Commit position of the last event applied: the guard that makes a replayed batch change nothing. */
  position: number;
  types: string[];
}

export interface CountingProjectionOptions {
  /** Events it handles (others pass by without effect). */
  accept?(event: ProjectedEvent): boolean;
  /** Pause in every apply, to make catching up last. */
  delayMs?: number;
  /** Called with every batch it is given, before it writes. */
  onApply?(events: readonly ProjectedEvent[]): void;
}

/**
 * A read model for runner and projector tests: one document per stream counting its events. An event whose data
 * says `poison: true` cannot be handled (the batch throws), like a bug in a real projection.
 */
export function countingProjection(
  name: string,
  options: CountingProjectionOptions = {},
): Projection {
  return {
    name,
    collections: [name],
    setup: async (db: Db) => {
      await db.collection(name).createIndex({ position: 1 });
    },
    apply: async (db: Db, batch: readonly ProjectedEvent[]) => {
      options.onApply?.(batch);
      const events = batch.filter((event) => options.accept?.(event) ?? true);
      const poison = events.find((event) => event.data.poison === true);
      if (poison) throw new Error(`cannot count ${poison.streamId}@${poison.revision}`);
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (events.length === 0) return;
      const collection = db.collection<CountDocument>(name);
      const ids = [...new Set(events.map((event) => event.streamId))];
      const stored = new Map(
        (await collection.find({ _id: { $in: ids } }).toArray()).map((doc) => [doc._id, doc]),
      );
      const next = new Map<string, CountDocument>();
      for (const event of events) {
        const position = Number(event.position.commit);
        const before = next.get(event.streamId) ?? stored.get(event.streamId);
        if (before && before.position >= position) continue;
        next.set(event.streamId, {
          _id: event.streamId,
          count: (before?.count ?? 0) + 1,
          position,
          types: [...(before?.types ?? []), event.type],
        });
      }
      if (next.size === 0) return;
      await collection.bulkWrite(
        [...next.values()].map(({ _id, ...fields }) => {
          const before = stored.get(_id);
          return before
            ? {
                replaceOne: {
                  filter: { _id, position: before.position },
                  replacement: { _id, ...fields },
                },
              }
            : { updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true } };
        }),
        { ordered: false },
      );
    },
  };
}
