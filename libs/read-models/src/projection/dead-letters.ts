import type { Collection, Db } from 'mongodb';
import { DURABLE } from './checkpoints';
import type { ProjectedEvent } from './projection';

export const DEAD_LETTERS_COLLECTION = 'projection_dead_letters';

/** An event a projection could not handle, kept so the read model moves on and someone can look at it later. */
export interface DeadLetterDocument {
  _id: string;
  projection: string;
  event: {
    type: string;
    eventId: string | null;
    streamId: string;
    revision: number;
    commit: string;
    prepare: string;
  };
  error: { name: string; message: string; stack: string | null };
  parkedAt: Date;
}

export function deadLettersCollection(db: Db): Collection<DeadLetterDocument> {
  return db.collection<DeadLetterDocument>(DEAD_LETTERS_COLLECTION);
}

/** Parks `event` for `projection`; parking the same event again (a replay) keeps one document. */
export async function parkEvent(
  db: Db,
  projection: string,
  event: ProjectedEvent,
  error: unknown,
  now = new Date(),
): Promise<void> {
  const commit = event.position.commit.toString();
  const prepare = event.position.prepare.toString();
  const failure = error instanceof Error ? error : new Error(String(error));
  await deadLettersCollection(db).replaceOne(
    { _id: `${projection}@${commit}/${prepare}` },
    {
      projection,
      event: {
        type: event.type,
        eventId: (event.metadata as { eventId?: string } | undefined)?.eventId ?? null,
        streamId: event.streamId,
        revision: event.revision,
        commit,
        prepare,
      },
      error: { name: failure.name, message: failure.message, stack: failure.stack ?? null },
      parkedAt: now,
    },
    { upsert: true, writeConcern: DURABLE },
  );
}

/** How many events each projection has parked. */
export async function deadLetterCounts(db: Db): Promise<Map<string, number>> {
  const rows = await deadLettersCollection(db)
    .aggregate<{ _id: string; count: number }>([
      { $group: { _id: '$projection', count: { $sum: 1 } } },
    ])
    .toArray();
  return new Map(rows.map((row) => [row._id, row.count]));
}
