import { type CollectionInfo, type Db, type MongoClient, MongoServerError } from 'mongodb';
import { type AnyDoc, closeTestDatabase, openTestDatabase } from './test-database';

describe('embedded-mongo: returnKey, showRecordId and capped collections', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('findopts');
    db = handle.db;
  });
  afterAll(async () => closeTestDatabase(handle));

  it('returnKey returns the keys of the index used, and {} for a collection scan', async () => {
    const coll = db.collection<AnyDoc>('return_key');
    await coll.createIndex({ sku: 1, size: 1 });
    await coll.insertMany([
      { _id: 1, sku: 'a', size: 3, name: 'first' },
      { _id: 2, sku: 'b', size: 4, name: 'second' },
    ]);
    expect(await coll.find({ sku: 'b', size: 4 }).returnKey(true).toArray()).toEqual([
      { sku: 'b', size: 4 },
    ]);
    expect(await coll.find({ _id: 1 }).returnKey(true).toArray()).toEqual([{ _id: 1 }]);
    expect(await coll.find({ name: 'first' }).returnKey(true).toArray()).toEqual([{}]);
  });

  it('showRecordId adds $recordId, increasing in insertion order and kept by updates', async () => {
    const coll = db.collection<AnyDoc>('record_id');
    await coll.insertMany([{ _id: 'x' }, { _id: 'y' }]);
    await coll.updateOne({ _id: 'x' }, { $set: { touched: true } });
    const docs = await coll.find({}, { showRecordId: true, sort: { _id: 1 } }).toArray();
    expect(docs.map((d) => Object.keys(d))).toEqual([
      ['_id', 'touched', '$recordId'],
      ['_id', '$recordId'],
    ]);
    const [x, y] = docs.map((d) => d.$recordId as number);
    expect(typeof x).toBe('number');
    expect(y).toBeGreaterThan(x);
    const raw = await db.command({ find: 'record_id', filter: { _id: 'y' }, showRecordId: true });
    const [first] = (raw.cursor as { firstBatch: AnyDoc[] }).firstBatch;
    expect(first.$recordId).toBe(y);
  });

  it('a capped collection keeps at most max documents, dropping the oldest', async () => {
    await db.createCollection('capped_max', { capped: true, size: 100_000, max: 3 });
    const coll = db.collection<AnyDoc>('capped_max');
    for (let i = 1; i <= 5; i++) await coll.insertOne({ _id: i });
    await coll.insertMany([{ _id: 6 }, { _id: 7 }]);
    expect((await coll.find().toArray()).map((d) => d._id)).toEqual([5, 6, 7]);
    const [info] = await db.listCollections({ name: 'capped_max' }).toArray();
    expect((info as CollectionInfo).options).toMatchObject({ capped: true, max: 3 });
  });

  it('a capped collection stays within its size in bytes', async () => {
    await db.createCollection('capped_size', { capped: true, size: 4096 });
    const coll = db.collection<AnyDoc>('capped_size');
    const payload = 'p'.repeat(1000);
    for (let i = 1; i <= 10; i++) await coll.insertOne({ _id: i, payload });
    const ids = (await coll.find().toArray()).map((d) => d._id as number);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(ids.length).toBeLessThan(5);
    expect(ids.at(-1)).toBe(10);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('collMod cappedMax lowers the limit: the excess goes at the next insert', async () => {
    await db.createCollection('capped_mod', { capped: true, size: 100_000, max: 5 });
    const coll = db.collection<AnyDoc>('capped_mod');
    await coll.insertMany([1, 2, 3, 4, 5].map((i) => ({ _id: i })));
    await db.command({ collMod: 'capped_mod', cappedMax: 2 });
    expect(await coll.countDocuments()).toBe(5);
    await coll.insertOne({ _id: 6 });
    expect((await coll.find().toArray()).map((d) => d._id)).toEqual([5, 6]);
    const error = await db
      .command({ collMod: 'capped_mod', cappedSize: 0 })
      .catch((e: unknown) => e);
    expect((error as MongoServerError).code).toBe(72);
  });

  it('capped without size is refused', async () => {
    const error = await db
      .createCollection('capped_nosize', { capped: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).code).toBe(72);
  });

  it('a tailable awaitData cursor on a capped collection returns documents inserted later', async () => {
    await db.createCollection('tail_await', { capped: true, size: 100_000 });
    const coll = db.collection<AnyDoc>('tail_await');
    await coll.insertMany([
      { _id: 1, kind: 'log' },
      { _id: 2, kind: 'other' },
    ]);
    const cursor = coll.find(
      { kind: 'log' },
      { tailable: true, awaitData: true, maxAwaitTimeMS: 2000 },
    );
    try {
      expect(await cursor.next()).toEqual({ _id: 1, kind: 'log' });
      const pending = cursor.next();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await coll.insertMany([
        { _id: 3, kind: 'other' },
        { _id: 4, kind: 'log' },
      ]);
      expect(await pending).toEqual({ _id: 4, kind: 'log' });
    } finally {
      await cursor.close();
    }
  });

  it('getMore on an awaitData cursor waits maxTimeMS, then answers an empty batch and stays open', async () => {
    await db.createCollection('tail_wait', { capped: true, size: 100_000 });
    await db.collection<AnyDoc>('tail_wait').insertOne({ _id: 1 });
    const first = await db.command({
      find: 'tail_wait',
      filter: {},
      tailable: true,
      awaitData: true,
      batchSize: 10,
    });
    const id = (first.cursor as { id: unknown }).id;
    const started = Date.now();
    const more = await db.command({ getMore: id, collection: 'tail_wait', maxTimeMS: 300 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect((more.cursor as { nextBatch: unknown[] }).nextBatch).toEqual([]);
    expect(Number((more.cursor as { id: unknown }).id)).not.toBe(0);
    await db.command({ killCursors: 'tail_wait', cursors: [id] });
  });

  it('a tailable cursor without awaitData answers at once and picks up later inserts', async () => {
    await db.createCollection('tail_poll', { capped: true, size: 100_000 });
    const coll = db.collection<AnyDoc>('tail_poll');
    await coll.insertOne({ _id: 1 });
    const cursor = coll.find({}, { tailable: true });
    try {
      expect(await cursor.tryNext()).toEqual({ _id: 1 });
      expect(await cursor.tryNext()).toBeNull();
      await coll.insertOne({ _id: 2 });
      expect(await cursor.tryNext()).toEqual({ _id: 2 });
    } finally {
      await cursor.close();
    }
  });

  it('a tailable cursor whose unread documents were dropped by the cap fails with CappedPositionLost', async () => {
    await db.createCollection('tail_lost', { capped: true, size: 100_000, max: 2 });
    const coll = db.collection<AnyDoc>('tail_lost');
    await coll.insertOne({ _id: 1 });
    const cursor = coll.find({}, { tailable: true });
    try {
      expect(await cursor.tryNext()).toEqual({ _id: 1 });
      await coll.insertMany([{ _id: 2 }, { _id: 3 }, { _id: 4 }]);
      const error = await cursor.tryNext().catch((e: unknown) => e);
      expect((error as MongoServerError).code).toBe(136);
    } finally {
      await cursor.close();
    }
  });

  it('a tailable cursor on a collection that is not capped is refused', async () => {
    await db.collection<AnyDoc>('not_capped').insertOne({ _id: 1 });
    const error = await db
      .collection<AnyDoc>('not_capped')
      .find({}, { tailable: true })
      .toArray()
      .catch((e: unknown) => e);
    expect((error as MongoServerError).code).toBe(2);
  });
});
