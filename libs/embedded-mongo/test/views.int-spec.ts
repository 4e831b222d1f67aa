import { type CollectionInfo, type Db, type MongoClient, MongoServerError } from 'mongodb';
import { type AnyDoc, closeTestDatabase, openTestDatabase } from './test-database';

describe('embedded-mongo: views', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('views');
    db = handle.db;
    await db.collection<AnyDoc>('orders').insertMany([
      { _id: 1, customer: 'ann', amount: 30, status: 'paid' },
      { _id: 2, customer: 'bob', amount: 10, status: 'open' },
      { _id: 3, customer: 'ann', amount: 50, status: 'paid' },
      { _id: 4, customer: 'cid', amount: 70, status: 'paid' },
    ]);
    await db.createCollection('paid', {
      viewOn: 'orders',
      pipeline: [{ $match: { status: 'paid' } }, { $project: { status: 0 } }],
    });
  });
  afterAll(async () => closeTestDatabase(handle));

  it('find reads through the view pipeline, then its own filter, sort, skip, limit and projection', async () => {
    const view = db.collection<AnyDoc>('paid');
    expect(await view.find({}, { sort: { _id: 1 } }).toArray()).toEqual([
      { _id: 1, customer: 'ann', amount: 30 },
      { _id: 3, customer: 'ann', amount: 50 },
      { _id: 4, customer: 'cid', amount: 70 },
    ]);
    const page = await view
      .find(
        { amount: { $gt: 20 } },
        { sort: { amount: -1 }, skip: 1, limit: 1, projection: { _id: 0, amount: 1 } },
      )
      .toArray();
    expect(page).toEqual([{ amount: 50 }]);
  });

  it('aggregate runs the view pipeline before its own', async () => {
    const totals = await db
      .collection<AnyDoc>('paid')
      .aggregate([
        { $group: { _id: '$customer', total: { $sum: '$amount' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(totals).toEqual([
      { _id: 'ann', total: 80 },
      { _id: 'cid', total: 70 },
    ]);
  });

  it('count and distinct read through the view', async () => {
    const view = db.collection<AnyDoc>('paid');
    expect(await view.countDocuments({ customer: 'ann' })).toBe(2);
    expect(await view.estimatedDocumentCount()).toBe(3);
    expect((await view.distinct('customer')).sort()).toEqual(['ann', 'cid']);
  });

  it('a view on a view applies both pipelines, and sees later writes to the collection', async () => {
    await db.createCollection('big_paid', {
      viewOn: 'paid',
      pipeline: [{ $match: { amount: { $gte: 50 } } }],
    });
    const view = db.collection<AnyDoc>('big_paid');
    expect((await view.find().toArray()).map((d) => d._id).sort()).toEqual([3, 4]);
    await db
      .collection<AnyDoc>('orders')
      .insertOne({ _id: 5, customer: 'dan', amount: 90, status: 'paid' });
    expect((await view.find().toArray()).map((d) => d._id).sort()).toEqual([3, 4, 5]);
    await db.collection<AnyDoc>('orders').deleteOne({ _id: 5 });
  });

  it('$lookup can read from a view', async () => {
    await db.collection<AnyDoc>('customers').insertMany([{ _id: 'ann' }, { _id: 'bob' }]);
    const joined = await db
      .collection<AnyDoc>('customers')
      .aggregate([
        { $lookup: { from: 'paid', localField: '_id', foreignField: 'customer', as: 'paid' } },
        { $project: { n: { $size: '$paid' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(joined).toEqual([
      { _id: 'ann', n: 2 },
      { _id: 'bob', n: 0 },
    ]);
  });

  it('a view is read-only: writes and index builds get CommandNotSupportedOnView (166)', async () => {
    const view = db.collection<AnyDoc>('paid');
    const attempts: Array<Promise<unknown>> = [
      view.insertOne({ _id: 9 }),
      view.updateOne({ _id: 1 }, { $set: { amount: 0 } }),
      view.deleteMany({}),
      view.findOneAndUpdate({ _id: 1 }, { $set: { amount: 0 } }),
      view.createIndex({ amount: 1 }),
      db
        .collection<AnyDoc>('orders')
        .aggregate([{ $out: 'paid' }])
        .toArray(),
    ];
    for (const attempt of attempts) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      expect((error as MongoServerError).code).toBe(166);
    }
    expect(await db.collection<AnyDoc>('orders').countDocuments()).toBe(4);
  });

  it('listCollections shows views with type "view", their definition and readOnly', async () => {
    const [info] = (await db.listCollections({ name: 'paid' }).toArray()) as CollectionInfo[];
    expect(info).toMatchObject({
      name: 'paid',
      type: 'view',
      options: {
        viewOn: 'orders',
        pipeline: [{ $match: { status: 'paid' } }, { $project: { status: 0 } }],
      },
      info: { readOnly: true },
    });
    const views = await db.listCollections({ type: 'view' }, { nameOnly: true }).toArray();
    expect(views.map((v) => v.name).sort()).toEqual(['big_paid', 'paid']);
  });

  it('collMod replaces a view definition; validator options are refused on a view', async () => {
    await db.createCollection('recent', { viewOn: 'orders', pipeline: [{ $match: { _id: 1 } }] });
    await db.command({ collMod: 'recent', viewOn: 'orders', pipeline: [{ $match: { _id: 2 } }] });
    expect((await db.collection<AnyDoc>('recent').find().toArray()).map((d) => d._id)).toEqual([2]);
    const refused = await db
      .command({ collMod: 'recent', validator: { a: 1 } })
      .catch((e: unknown) => e);
    expect((refused as MongoServerError).code).toBe(72);
    const notView = await db.command({ collMod: 'orders', pipeline: [] }).catch((e: unknown) => e);
    expect((notView as MongoServerError).code).toBe(72);
  });

  it("a view has its own default collation, not its source collection's", async () => {
    await db.createCollection('by_customer', {
      viewOn: 'orders',
      pipeline: [],
      collation: { locale: 'en', strength: 2 },
    });
    const view = db.collection<AnyDoc>('by_customer');
    expect(await view.countDocuments({ customer: 'ANN' })).toBe(2);
    expect(await view.find({ customer: 'ANN' }).toArray()).toHaveLength(2);
    expect(await db.collection<AnyDoc>('paid').countDocuments({ customer: 'ANN' })).toBe(0);
    const override = await view
      .find({ customer: 'ANN' }, { collation: { locale: 'fr', strength: 1 } })
      .toArray()
      .catch((e: unknown) => e);
    expect((override as MongoServerError).code).toBe(167);
  });

  it('dropping a view removes it and leaves the collection', async () => {
    await db.createCollection('to_drop', { viewOn: 'orders', pipeline: [] });
    expect(await db.collection('to_drop').drop()).toBe(true);
    expect(await db.listCollections({ name: 'to_drop' }).toArray()).toEqual([]);
    expect(await db.collection<AnyDoc>('orders').countDocuments()).toBe(4);
  });

  it('refuses $out in a view pipeline and pipeline without viewOn', async () => {
    const out = await db
      .createCollection('bad_view', { viewOn: 'orders', pipeline: [{ $out: 'x' }] })
      .catch((e: unknown) => e);
    expect(out).toBeInstanceOf(MongoServerError);
    const noSource = await db
      .command({ create: 'bad_view', pipeline: [] })
      .catch((e: unknown) => e);
    expect(noSource).toBeInstanceOf(MongoServerError);
    expect(await db.listCollections({ name: 'bad_view' }).toArray()).toEqual([]);
  });
});
