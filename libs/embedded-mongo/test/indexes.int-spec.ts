import { type Db, type MongoClient, MongoBulkWriteError, MongoServerError } from 'mongodb';
import { type AnyDoc, closeTestDatabase, openTestDatabase } from './test-database';

interface ExecutionStats {
  totalDocsExamined: number;
  nReturned: number;
}

describe('embedded-mongo: indexes, unique constraints and bulk writes', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('indexes');
    db = handle.db;
  });
  afterAll(async () => closeTestDatabase(handle));

  async function docsExamined(collection: string, filter: object): Promise<ExecutionStats> {
    const plan = await db.collection<AnyDoc>(collection).find(filter).explain('executionStats');
    return plan.executionStats as ExecutionStats;
  }

  it('creates, lists and drops indexes', async () => {
    const c = db.collection<AnyDoc>('idx_admin');
    await c.insertOne({ a: 1, b: 1 });
    expect(await c.createIndex({ a: 1 }, { unique: true })).toBe('a_1');
    expect(await c.createIndex({ a: 1, b: -1 }, { name: 'a_b' })).toBe('a_b');
    const listed = await c.listIndexes().toArray();
    expect(listed.map((i) => i.name)).toEqual(['_id_', 'a_1', 'a_b']);
    expect(listed[1]).toMatchObject({ key: { a: 1 }, unique: true });
    await c.dropIndex('a_b');
    expect((await c.indexes()).map((i) => i.name)).toEqual(['_id_', 'a_1']);
    const missing = await c.dropIndex('nope').catch((e: unknown) => e);
    expect((missing as MongoServerError).code).toBe(27);
  });

  it('rejects a duplicate on a unique index with E11000, keyPattern and keyValue', async () => {
    const c = db.collection<AnyDoc>('idx_unique');
    await c.createIndex({ email: 1 }, { unique: true });
    await c.insertOne({ email: 'a@x.io' });
    const error = await c.insertOne({ email: 'a@x.io' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    const e = error as MongoServerError;
    expect(e.code).toBe(11000);
    expect(e.keyPattern).toEqual({ email: 1 });
    expect(e.keyValue).toEqual({ email: 'a@x.io' });
    expect(e.message).toMatch(
      /^E11000 duplicate key error collection: .*idx_unique index: email_1 dup key: \{ email: "a@x.io" \}$/,
    );
    expect(await c.countDocuments()).toBe(1);
  });

  it('rejects a duplicate _id', async () => {
    const c = db.collection<AnyDoc>('idx_dup_id');
    await c.insertOne({ _id: 'k' });
    const error = await c.insertOne({ _id: 'k' }).catch((e: unknown) => e);
    expect((error as MongoServerError).code).toBe(11000);
    expect((error as MongoServerError).keyPattern).toEqual({ _id: 1 });
  });

  it('enforces compound unique indexes on the combination only', async () => {
    const c = db.collection<AnyDoc>('idx_compound');
    await c.createIndex({ tenant: 1, sku: 1 }, { unique: true });
    await c.insertMany([
      { tenant: 't1', sku: 'a' },
      { tenant: 't1', sku: 'b' },
      { tenant: 't2', sku: 'a' },
    ]);
    const error = await c.insertOne({ tenant: 't1', sku: 'a' }).catch((e: unknown) => e);
    expect((error as MongoServerError).code).toBe(11000);
    expect((error as MongoServerError).keyValue).toEqual({ tenant: 't1', sku: 'a' });
    const update = await c
      .updateOne({ tenant: 't2' }, { $set: { tenant: 't1' } })
      .catch((e: unknown) => e);
    expect((update as MongoServerError).code).toBe(11000);
  });

  it('refuses to build a unique index over existing duplicates', async () => {
    const c = db.collection<AnyDoc>('idx_build_dup');
    await c.insertMany([{ k: 1 }, { k: 1 }]);
    const error = await c.createIndex({ k: 1 }, { unique: true }).catch((e: unknown) => e);
    expect((error as MongoServerError).code).toBe(11000);
  });

  it('ordered bulk writes stop at the first error and report its index', async () => {
    const c = db.collection<AnyDoc>('bulk_ordered');
    await c.createIndex({ k: 1 }, { unique: true });
    const error = await c
      .insertMany([{ k: 1 }, { k: 2 }, { k: 1 }, { k: 3 }], { ordered: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoBulkWriteError);
    const bulk = error as MongoBulkWriteError;
    expect(bulk.result.insertedCount).toBe(2);
    expect(bulk.writeErrors).toHaveLength(1);
    expect((bulk.writeErrors as unknown as { index: number; code: number }[])[0]).toMatchObject({
      index: 2,
      code: 11000,
    });
    expect(await c.countDocuments()).toBe(2);
  });

  it('unordered bulk writes continue past errors and report each failed item', async () => {
    const c = db.collection<AnyDoc>('bulk_unordered');
    await c.createIndex({ k: 1 }, { unique: true });
    await c.insertOne({ k: 0 });
    const error = await c
      .bulkWrite(
        [
          { insertOne: { document: { k: 0 } } },
          { insertOne: { document: { k: 1 } } },
          { updateOne: { filter: { k: 1 }, update: { $set: { v: 1 } } } },
          { insertOne: { document: { k: 1 } } },
          { updateOne: { filter: { k: 9 }, update: { $set: { v: 9 } }, upsert: true } },
          { deleteOne: { filter: { k: 0 } } },
        ],
        { ordered: false },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoBulkWriteError);
    const bulk = error as MongoBulkWriteError;
    const failed = (bulk.writeErrors as unknown as { index: number; code: number }[]).map((w) => [
      w.index,
      w.code,
    ]);
    expect(failed).toEqual([
      [0, 11000],
      [3, 11000],
    ]);
    expect(bulk.result.insertedCount).toBe(1);
    expect(bulk.result.modifiedCount).toBe(1);
    expect(bulk.result.upsertedCount).toBe(1);
    expect(bulk.result.deletedCount).toBe(1);
    expect(
      await c
        .find({}, { projection: { _id: 0 } })
        .sort({ k: 1 })
        .toArray(),
    ).toEqual([
      { k: 1, v: 1 },
      { k: 9, v: 9 },
    ]);
  });

  it('upserts in bulk by a unique secondary key', async () => {
    const c = db.collection<AnyDoc>('bulk_upsert_key');
    await c.createIndex({ code: 1 }, { unique: true });
    const ops = (round: number) =>
      Array.from({ length: 100 }, (_, i) => ({
        updateOne: {
          filter: { code: `c${i}` },
          update: { $set: { round }, $inc: { seen: 1 } },
          upsert: true,
        },
      }));
    const first = await c.bulkWrite(ops(1), { ordered: false });
    expect(first.upsertedCount).toBe(100);
    const second = await c.bulkWrite(ops(2), { ordered: false });
    expect(second.upsertedCount).toBe(0);
    expect(second.modifiedCount).toBe(100);
    expect(await c.countDocuments({ seen: 2, round: 2 })).toBe(100);
  });

  describe('index use (explain executionStats)', () => {
    beforeAll(async () => {
      const c = db.collection<AnyDoc>('idx_usage');
      await c.createIndex({ email: 1 }, { unique: true });
      await c.createIndex({ score: 1 });
      await c.createIndex({ tenant: 1, kind: 1 });
      await c.insertMany(
        Array.from({ length: 2000 }, (_, i) => ({
          _id: i,
          email: `u${i}@x.io`,
          score: i % 100,
          tenant: `t${i % 20}`,
          kind: i % 2 ? 'odd' : 'even',
        })),
      );
    });

    it('finds by _id without scanning', async () => {
      const stats = await docsExamined('idx_usage', { _id: 1234 });
      expect(stats.nReturned).toBe(1);
      expect(stats.totalDocsExamined).toBe(1);
    });

    it('finds by an indexed equality without scanning', async () => {
      const stats = await docsExamined('idx_usage', { email: 'u77@x.io' });
      expect(stats.nReturned).toBe(1);
      expect(stats.totalDocsExamined).toBe(1);
    });

    it('uses an index for $in and ranges', async () => {
      const inStats = await docsExamined('idx_usage', { email: { $in: ['u1@x.io', 'u2@x.io'] } });
      expect(inStats.totalDocsExamined).toBe(2);
      const range = await docsExamined('idx_usage', { score: { $gte: 10, $lt: 12 } });
      expect(range.nReturned).toBe(40);
      expect(range.totalDocsExamined).toBe(40);
    });

    it('uses a compound index for equality on its fields', async () => {
      const stats = await docsExamined('idx_usage', { tenant: 't3', kind: 'odd' });
      expect(stats.nReturned).toBe(100);
      expect(stats.totalDocsExamined).toBe(100);
    });

    it('scans when no index applies', async () => {
      const stats = await docsExamined('idx_usage', { kind: 'odd' });
      expect(stats.totalDocsExamined).toBe(2000);
    });

    it('keeps the index right after updates and deletes', async () => {
      const c = db.collection<AnyDoc>('idx_usage');
      await c.updateOne({ email: 'u5@x.io' }, { $set: { email: 'moved@x.io', score: 1000 } });
      await c.deleteOne({ email: 'u6@x.io' });
      expect(await c.findOne({ email: 'u5@x.io' })).toBeNull();
      expect(await c.findOne({ email: 'moved@x.io' })).toMatchObject({ _id: 5 });
      expect(await c.findOne({ email: 'u6@x.io' })).toBeNull();
      expect(await c.countDocuments({ score: { $gte: 1000 } })).toBe(1);
      expect(await c.countDocuments({ score: 5 })).toBe(19);
    });

    it('keeps the index right after replacements that keep the indexed fields or change one field of a compound key', async () => {
      const c = db.collection<AnyDoc>('idx_usage');
      // A range query first, so the score index's sorted values exist and must follow the writes too.
      expect(await c.countDocuments({ score: { $gte: 40, $lte: 40 } })).toBe(20);
      await c.replaceOne(
        { _id: 40 },
        { email: 'u40@x.io', score: 40, tenant: 't0', kind: 'even', note: 'same keys' },
      );
      await c.replaceOne({ _id: 60 }, { email: 'u60@x.io', score: 60, tenant: 't0', kind: 'odd' });
      await c.replaceOne(
        { _id: 140 },
        { email: 'u140@x.io', score: 41, tenant: 't0', kind: 'even' },
      );
      expect(await c.findOne({ email: 'u40@x.io' })).toMatchObject({ _id: 40, note: 'same keys' });
      expect((await c.find({ tenant: 't0', kind: 'odd' }).toArray()).map((d) => d._id)).toEqual([
        60,
      ]);
      expect(await c.countDocuments({ tenant: 't0', kind: 'even' })).toBe(99);
      expect(await c.countDocuments({ tenant: 't0' })).toBe(100);
      expect(await c.countDocuments({ score: { $gte: 40, $lte: 40 } })).toBe(19);
      expect(await c.countDocuments({ score: { $gte: 41, $lte: 41 } })).toBe(21);
    });
  });
});
