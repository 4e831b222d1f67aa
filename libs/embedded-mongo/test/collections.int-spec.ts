import { type Db, MongoClient, MongoServerError } from 'mongodb';
import { start } from '@app/embedded-mongo';
import { type AnyDoc, closeTestDatabase, openTestDatabase } from './test-database';

describe('embedded-mongo: collections, databases and standalone limits', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('collections');
    db = handle.db;
  });
  afterAll(async () => closeTestDatabase(handle));

  const names = async (): Promise<string[]> =>
    (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();

  it('creates collections explicitly and implicitly, and lists them', async () => {
    await db.createCollection('explicit');
    await db.collection<AnyDoc>('implicit').insertOne({ a: 1 });
    expect(await names()).toEqual(['explicit', 'implicit']);
    const [info] = await db.listCollections({ name: 'explicit' }).toArray();
    expect(info).toMatchObject({ name: 'explicit', type: 'collection' });
  });

  it('drops a collection and its documents', async () => {
    await db.collection<AnyDoc>('to_drop').insertOne({ a: 1 });
    expect(await db.collection<AnyDoc>('to_drop').drop()).toBe(true);
    expect(await names()).not.toContain('to_drop');
    expect(await db.collection<AnyDoc>('to_drop').countDocuments()).toBe(0);
  });

  it('renames a collection, keeping documents and indexes', async () => {
    const source = db.collection<AnyDoc>('rename_src');
    await source.insertMany([{ k: 1 }, { k: 2 }]);
    await source.createIndex({ k: 1 }, { unique: true });
    await db.renameCollection('rename_src', 'rename_dst');
    const target = db.collection<AnyDoc>('rename_dst');
    expect(await target.countDocuments()).toBe(2);
    expect((await target.indexes()).map((i) => i.name)).toContain('k_1');
    const dup = await target.insertOne({ k: 1 }).catch((e: unknown) => e);
    expect((dup as MongoServerError).code).toBe(11000);
    expect(await names()).not.toContain('rename_src');
  });

  it('refuses to rename onto an existing collection unless dropTarget is set', async () => {
    await db.collection<AnyDoc>('ra').insertOne({ from: 'a' });
    await db.collection<AnyDoc>('rb').insertOne({ from: 'b' });
    const refused = await db.renameCollection('ra', 'rb').catch((e: unknown) => e);
    expect((refused as MongoServerError).code).toBe(48);
    await db.renameCollection('ra', 'rb', { dropTarget: true });
    expect(
      await db
        .collection<AnyDoc>('rb')
        .find({}, { projection: { _id: 0 } })
        .toArray(),
    ).toEqual([{ from: 'a' }]);
    const missing = await db.renameCollection('nope', 'rc').catch((e: unknown) => e);
    expect((missing as MongoServerError).code).toBe(26);
  });

  it('drops a whole database', async () => {
    const other = handle.client.db(`${db.databaseName}_x`);
    await other.collection<AnyDoc>('c').insertOne({ a: 1 });
    await other.dropDatabase();
    const { databases } = await handle.client.db('admin').admin().listDatabases();
    expect(databases.map((d) => d.name)).not.toContain(`${db.databaseName}_x`);
  });

  it('answers getParameter and serverStatus', async () => {
    const fcv = await db.admin().command({ getParameter: 1, featureCompatibilityVersion: 1 });
    expect(fcv.featureCompatibilityVersion.version).toMatch(/^\d+\.\d+$/);
    const status = await db.admin().command({ serverStatus: 1 });
    expect(status.ok).toBe(1);
    expect(typeof status.uptime).toBe('number');
  });

  it('counts operations in serverStatus opcounters as mongod does', async () => {
    // A server of its own: the shared one counts every other suite's operations too.
    const server = await start({ mem: true, port: 0, log: () => undefined });
    const client = new MongoClient(server.connectionString);
    try {
      const admin = client.db('admin');
      const counters = async () =>
        ((await admin.command({ serverStatus: 1 })) as { opcounters: Record<string, number> })
          .opcounters;
      const before = await counters();
      const coll = client.db('ops').collection<AnyDoc>('c');
      await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
      await coll.bulkWrite([
        { updateOne: { filter: { _id: 1 }, update: { $set: { a: 1 } } } },
        { updateOne: { filter: { _id: 9 }, update: { $set: { a: 1 } } } },
        { deleteOne: { filter: { _id: 3 } } },
      ]);
      await coll.find({}, { batchSize: 1 }).toArray();
      await coll.countDocuments();
      const after = await counters();
      const delta = Object.fromEntries(
        Object.keys(after).map((k) => [k, Number(after[k]) - Number(before[k])]),
      );
      // Documents inserted, statements (matched or not), one find with one getMore, and the other commands: the
      // first serverStatus, the aggregate behind countDocuments and the driver's own, such as endSessions.
      expect(delta).toMatchObject({ insert: 3, update: 2, delete: 1, query: 1, getmore: 1 });
      expect(delta.command).toBeGreaterThanOrEqual(2);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it('refuses transactions like a standalone mongod (IllegalOperation 20)', async () => {
    const session = handle.client.startSession();
    try {
      session.startTransaction();
      const error = await db
        .collection<AnyDoc>('tx')
        .insertOne({ a: 1 }, { session })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      // The driver rewrites this server error into its "retryable writes" advice, as with mongod.
      const original = (error as { originalError?: MongoServerError }).originalError ?? error;
      expect((original as MongoServerError).code).toBe(20);
      expect((original as MongoServerError).message).toMatch(
        /only allowed on a replica set member or mongos/,
      );
      await session.abortTransaction().catch(() => undefined);
    } finally {
      await session.endSession();
    }
    expect(await db.collection<AnyDoc>('tx').countDocuments()).toBe(0);
  });

  it('works with explicit sessions outside transactions', async () => {
    const session = handle.client.startSession();
    try {
      await db.collection<AnyDoc>('sessions').insertOne({ a: 1 }, { session });
      expect(await db.collection<AnyDoc>('sessions').countDocuments({}, { session })).toBe(1);
    } finally {
      await session.endSession();
    }
  });
});
