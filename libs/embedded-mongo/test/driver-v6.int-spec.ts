import { randomBytes } from 'node:crypto';
import { Long, MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb6';
import { type AnyDoc, mongoUrl } from './test-database';

// The other current driver major: the same server must satisfy its handshake and error mapping.
describe('embedded-mongo with mongodb driver 6.x', () => {
  let client: MongoClient;
  const dbName = `t_driver6_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    client = await new MongoClient(mongoUrl(), { serverSelectionTimeoutMS: 5000 }).connect();
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it('completes the handshake and pings', async () => {
    const hello = await client.db('admin').command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
  });

  it('inserts, finds, updates and deletes, keeping a Long a Long', async () => {
    const c = client.db(dbName).collection<AnyDoc>('crud');
    await c.insertMany([
      { _id: 1, n: Long.fromNumber(1), s: 'a' },
      { _id: 2, n: Long.fromNumber(2), s: 'b' },
    ] as never[]);
    await c.updateOne({ _id: 2 }, { $inc: { n: 1 } });
    const doc = await c.findOne({ _id: 2 } as never, { promoteLongs: false });
    expect(doc?.n).toBeInstanceOf(Long);
    expect((doc?.n as Long).toNumber()).toBe(3);
    expect((await c.deleteOne({ s: 'a' })).deletedCount).toBe(1);
    expect(await c.countDocuments()).toBe(1);
  });

  it('runs unordered bulk writes and reports per-item errors', async () => {
    const c = client.db(dbName).collection<AnyDoc>('bulk');
    await c.createIndex({ k: 1 }, { unique: true });
    const error = await c
      .bulkWrite(
        [
          { insertOne: { document: { k: 1 } } },
          { insertOne: { document: { k: 1 } } },
          { updateOne: { filter: { k: 2 }, update: { $set: { v: 1 } }, upsert: true } },
        ],
        { ordered: false },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoBulkWriteError);
    const bulk = error as MongoBulkWriteError;
    expect((bulk.writeErrors as unknown as { index: number }[]).map((w) => w.index)).toEqual([1]);
    expect(bulk.result.upsertedCount).toBe(1);
  });

  it('reports a duplicate key as MongoServerError 11000 with keyValue', async () => {
    const c = client.db(dbName).collection<AnyDoc>('dup');
    await c.createIndex({ email: 1 }, { unique: true });
    await c.insertOne({ email: 'x@y.z' });
    const error = await c.insertOne({ email: 'x@y.z' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(11000);
    expect((error as MongoServerError).keyValue).toEqual({ email: 'x@y.z' });
  });

  it('aggregates', async () => {
    const c = client.db(dbName).collection<AnyDoc>('agg');
    await c.insertMany([
      { g: 'a', v: 1 },
      { g: 'a', v: 2 },
      { g: 'b', v: 5 },
    ]);
    const groups = await c
      .aggregate([{ $group: { _id: '$g', total: { $sum: '$v' } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(groups).toEqual([
      { _id: 'a', total: 3 },
      { _id: 'b', total: 5 },
    ]);
  });

  it('what driver 6 sends with sessions, concerns, comments, hints, let and collations is accepted', async () => {
    const c = client.db(dbName).collection<AnyDoc>('options');
    const session = client.startSession();
    try {
      await c.insertMany(
        [
          { _id: 1, s: 'A' },
          { _id: 2, s: 'b' },
        ] as never[],
        {
          session,
          comment: 'c',
          writeConcern: { w: 1 },
        },
      );
      const collation = { locale: 'en', strength: 2 };
      const found = await c
        .find({ $expr: { $eq: ['$_id', '$$id'] } } as never, {
          session,
          let: { id: 1 },
          comment: 'c',
          maxTimeMS: 5000,
          readConcern: 'local',
          hint: { _id: 1 },
        })
        .toArray();
      expect(found).toEqual([{ _id: 1, s: 'A' }]);
      expect(await c.countDocuments({ s: 'a' }, { session, collation })).toBe(1);
      await c.updateMany({ s: 'B' }, { $set: { t: 1 } }, { session, collation, let: { x: 1 } });
      await c.findOneAndUpdate({ _id: 2 }, { $inc: { t: 1 } }, { session, comment: 'c' });
      await c
        .aggregate([{ $match: { s: 'a' } }], { session, collation, maxTimeMS: 5000 })
        .toArray();
      await c.deleteMany({ s: 'a' }, { session, collation, let: { x: 1 } });
      expect(await c.countDocuments({}, { session })).toBe(1);
    } finally {
      await session.endSession();
    }
  });
});
