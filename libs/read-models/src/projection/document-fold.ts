import {
  type AnyBulkWriteOperation,
  type Collection,
  type Filter,
  MongoBulkWriteError,
} from 'mongodb';
import { type ProjectedEvent, storedPosition } from './projection';

/** Every read-model document records the commit position of the last event applied to it. */
export interface PositionedDocument {
  _id: string;
  position: number;
}

/**
 * What a projection does with one event for the documents it keeps: which documents the event touches, and the
 * next version of one of them (null deletes it). Replaying the same events must give the same documents, byte for
 * byte. A document as loaded from the store must not be changed: return a new one. The folder's own document,
 * returned for an earlier event of the same batch, may be changed in place and returned again.
 */
export interface DocumentFolder<D extends PositionedDocument> {
  keys(event: ProjectedEvent): readonly string[];
  apply(current: D | null, event: ProjectedEvent, key: string): D | null;
}

/**
 * Applies a batch to a collection in two round trips: one query loads the touched documents, the events are folded
 * in memory in `$all` order, and one unordered bulk write stores each changed document guarded by its position.
 * A document already at or past an event's position is left as it is, so a batch applied twice changes nothing.
 */
export async function foldIntoCollection<D extends PositionedDocument>(
  collection: Collection<D>,
  events: readonly ProjectedEvent[],
  folder: DocumentFolder<D>,
): Promise<number> {
  const touched = new Set<string>();
  for (const event of events) for (const key of folder.keys(event)) touched.add(key);
  if (touched.size === 0) return 0;
  const current = new Map<string, D | null>();
  const stored = await collection.find({ _id: { $in: [...touched] } } as Filter<D>).toArray();
  for (const doc of stored) current.set(doc._id, doc as D);
  const changed = new Set<string>();
  for (const event of events) {
    const position = storedPosition(event.position);
    for (const key of folder.keys(event)) {
      const before = current.get(key) ?? null;
      if (before && before.position >= position) continue;
      const after = folder.apply(before, event, key);
      // The same object back means "unchanged", unless it is this batch's own copy, which a folder may change in place.
      if (after === before && !changed.has(key)) continue;
      if (after) after.position = position;
      current.set(key, after);
      changed.add(key);
    }
  }
  await writeGuarded(
    collection,
    [...changed].map((key) => [key, current.get(key) ?? null]),
  );
  return changed.size;
}

/**
 * Replaces (or deletes) documents only where the stored one is older. An upsert whose guard does not match collides
 * with the newer document on `_id`: that duplicate-key error means "already applied" and is the expected outcome.
 */
export async function writeGuarded<D extends PositionedDocument>(
  collection: Collection<D>,
  docs: ReadonlyArray<readonly [string, D | null]>,
  deletedPosition?: number,
): Promise<void> {
  if (docs.length === 0) return;
  const operations = docs.map(([id, doc]): AnyBulkWriteOperation<D> => {
    if (doc === null) {
      const filter = { _id: id, position: { $lt: deletedPosition ?? Number.MAX_SAFE_INTEGER } };
      return { deleteOne: { filter: filter as Filter<D> } };
    }
    const filter = { _id: id, position: { $lt: doc.position } } as Filter<D>;
    return { replaceOne: { filter, replacement: doc, upsert: true } };
  });
  try {
    await collection.bulkWrite(operations, { ordered: false });
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError) || !onlyDuplicateKeys(error)) throw error;
  }
}

function onlyDuplicateKeys(error: MongoBulkWriteError): boolean {
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  return writeErrors.length > 0 && writeErrors.every((e) => e.code === 11000);
}
