import type { Db } from 'mongodb';

/**
 * MongoDB's ceiling for a read model's work: the documents of these collections, read first, then written once into
 * a scratch database (durable unordered bulk upserts by _id, 1 000 at a time: no reading, folding or guards), which
 * is dropped after. Resolves with how many documents and the seconds the writing took.
 */
export async function writeCeiling(
  db: Db,
  collections: readonly string[],
): Promise<{ documents: number; seconds: number }> {
  const scratch = db.client.db(`${db.databaseName}_ceiling`, {
    writeConcern: { w: 'majority', journal: true },
  });
  const all: Array<[string, Array<{ _id: string }>]> = [];
  for (const name of collections)
    all.push([name, await db.collection<{ _id: string }>(name).find().toArray()]);
  const started = performance.now();
  let documents = 0;
  for (const [name, docs] of all) {
    for (let i = 0; i < docs.length; i += 1000) {
      const slice = docs.slice(i, i + 1000);
      await scratch.collection<{ _id: string }>(name).bulkWrite(
        slice.map((doc) => ({
          replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true },
        })),
        { ordered: false },
      );
      documents += slice.length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await scratch.dropDatabase();
  return { documents, seconds };
}
