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
});
