import { type Db, type MongoClient, MongoServerError } from 'mongodb';
import { type AnyDoc, closeTestDatabase, openTestDatabase } from './test-database';

describe('embedded-mongo: aggregation, $out and $merge', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('aggregate');
    db = handle.db;
    await db.collection<AnyDoc>('sales').insertMany([
      { _id: 1, item: 'apple', qty: 5, price: 2, region: 'north', tags: ['fruit', 'red'] },
      { _id: 2, item: 'pear', qty: 2, price: 3, region: 'south', tags: ['fruit'] },
      { _id: 3, item: 'apple', qty: 1, price: 2, region: 'south', tags: ['fruit', 'red'] },
      { _id: 4, item: 'kale', qty: 7, price: 4, region: 'north', tags: ['veg'] },
    ]);
    await db.collection<AnyDoc>('items').insertMany([
      { _id: 'apple', color: 'red' },
      { _id: 'pear', color: 'green' },
    ]);
  });
  afterAll(async () => closeTestDatabase(handle));

  it('runs $match, $group, $sort and $project', async () => {
    const result = await db
      .collection<AnyDoc>('sales')
      .aggregate([
        { $match: { qty: { $gt: 1 } } },
        {
          $group: {
            _id: '$region',
            total: { $sum: { $multiply: ['$qty', '$price'] } },
            n: { $sum: 1 },
          },
        },
        { $sort: { total: -1 } },
        { $project: { _id: 0, region: '$_id', total: 1, n: 1 } },
      ])
      .toArray();
    expect(result).toEqual([
      { total: 38, n: 2, region: 'north' },
      { total: 6, n: 1, region: 'south' },
    ]);
  });

  it('runs $unwind and $count', async () => {
    const [{ reds }] = await db
      .collection<AnyDoc>('sales')
      .aggregate<{ reds: number }>([
        { $unwind: '$tags' },
        { $match: { tags: 'red' } },
        { $count: 'reds' },
      ])
      .toArray();
    expect(reds).toBe(2);
  });

  it('runs $facet and $bucket', async () => {
    const [facets] = await db
      .collection<AnyDoc>('sales')
      .aggregate([
        {
          $facet: {
            byQty: [{ $bucket: { groupBy: '$qty', boundaries: [0, 3, 10], default: 'other' } }],
            items: [{ $group: { _id: '$item' } }, { $sort: { _id: 1 } }],
          },
        },
      ])
      .toArray();
    expect(facets.byQty).toEqual([
      { _id: 0, count: 2 },
      { _id: 3, count: 2 },
    ]);
    expect(facets.items).toEqual([{ _id: 'apple' }, { _id: 'kale' }, { _id: 'pear' }]);
  });

  it('runs $lookup against another collection', async () => {
    const joined = await db
      .collection<AnyDoc>('sales')
      .aggregate([
        { $match: { _id: { $in: [1, 4] } } },
        { $lookup: { from: 'items', localField: 'item', foreignField: '_id', as: 'info' } },
        { $project: { item: 1, color: { $first: '$info.color' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(joined).toEqual([
      { _id: 1, item: 'apple', color: 'red' },
      { _id: 4, item: 'kale' },
    ]);
  });

  it('runs $setWindowFields', async () => {
    const running = await db
      .collection<AnyDoc>('sales')
      .aggregate([
        {
          $setWindowFields: {
            partitionBy: '$region',
            sortBy: { _id: 1 },
            output: {
              runningQty: { $sum: '$qty', window: { documents: ['unbounded', 'current'] } },
            },
          },
        },
        { $sort: { _id: 1 } },
        { $project: { _id: 1, runningQty: 1 } },
      ])
      .toArray();
    expect(running).toEqual([
      { _id: 1, runningQty: 5 },
      { _id: 2, runningQty: 2 },
      { _id: 3, runningQty: 3 },
      { _id: 4, runningQty: 12 },
    ]);
  });

  it('$sort orders mixed types and arrays as find does (MongoDB canonical order)', async () => {
    const c = db.collection<AnyDoc>('agg_mixed');
    await c.insertMany([
      { _id: 1, v: new Date(0) },
      { _id: 2, v: true },
      { _id: 3, v: 'text' },
      { _id: 4, v: 2.5 },
      { _id: 5, v: null },
      { _id: 6, v: [10, 0.5] },
      { _id: 7 },
    ]);
    const viaAggregate = await c.aggregate([{ $sort: { v: 1, _id: 1 } }]).toArray();
    const viaFind = await c.find().sort({ v: 1, _id: 1 }).toArray();
    expect(viaAggregate.map((d) => d._id)).toEqual([5, 7, 6, 4, 3, 2, 1]);
    expect(viaFind.map((d) => d._id)).toEqual(viaAggregate.map((d) => d._id));
  });

  it('$sample draws distinct documents, all of them when asked for more, none from an empty collection', async () => {
    const sales = db.collection<AnyDoc>('sales');
    const three = await sales.aggregate([{ $sample: { size: 3 } }]).toArray();
    expect(three).toHaveLength(3);
    expect(new Set(three.map((doc) => doc._id)).size).toBe(3);
    const all = await sales.aggregate([{ $sample: { size: 100 } }]).toArray();
    expect(all.map((doc) => doc._id).sort()).toEqual([1, 2, 3, 4]);
    expect(
      await db
        .collection('nothing-here')
        .aggregate([{ $sample: { size: 5 } }])
        .toArray(),
    ).toEqual([]);
    const refused = async (stage: unknown) =>
      (
        (await sales
          .aggregate([{ $sample: stage }])
          .toArray()
          .catch((error: unknown) => error)) as MongoServerError
      ).code;
    expect(await refused({ size: -1 })).toBe(28747);
    expect(await refused({ size: 'two' })).toBe(28746);
    expect(await refused({})).toBe(28749);
    expect(await refused({ size: 1, other: 1 })).toBe(28748);
  });

  it('returns large results through cursor batches', async () => {
    const c = db.collection<AnyDoc>('agg_many');
    await c.insertMany(Array.from({ length: 500 }, (_, i) => ({ i })));
    const all = await c.aggregate([{ $sort: { i: -1 } }], { batchSize: 50 }).toArray();
    expect(all).toHaveLength(500);
    expect(all[0].i).toBe(499);
  });

  it('$out replaces the target collection with the results', async () => {
    await db.collection<AnyDoc>('report').insertOne({ stale: true });
    const out = await db
      .collection<AnyDoc>('sales')
      .aggregate([{ $group: { _id: '$item', qty: { $sum: '$qty' } } }, { $out: 'report' }])
      .toArray();
    expect(out).toEqual([]);
    const report = await db.collection<AnyDoc>('report').find().sort({ _id: 1 }).toArray();
    expect(report).toEqual([
      { _id: 'apple', qty: 6 },
      { _id: 'kale', qty: 7 },
      { _id: 'pear', qty: 2 },
    ]);
  });

  it('$merge merges into, inserts into or keeps documents of the target', async () => {
    const target = db.collection<AnyDoc>('totals');
    await target.insertMany([
      { _id: 'apple', qty: 0, note: 'keep me' },
      { _id: 'fig', qty: 9 },
    ]);
    await db
      .collection<AnyDoc>('sales')
      .aggregate([
        { $group: { _id: '$item', qty: { $sum: '$qty' } } },
        { $merge: { into: 'totals', whenMatched: 'merge', whenNotMatched: 'insert' } },
      ])
      .toArray();
    expect(await target.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'apple', qty: 6, note: 'keep me' },
      { _id: 'fig', qty: 9 },
      { _id: 'kale', qty: 7 },
      { _id: 'pear', qty: 2 },
    ]);
    await db
      .collection<AnyDoc>('sales')
      .aggregate([
        { $project: { _id: '$item', qty: { $literal: -1 } } },
        { $merge: { into: 'totals', whenMatched: 'keepExisting', whenNotMatched: 'discard' } },
      ])
      .toArray();
    expect(await target.countDocuments({ qty: -1 })).toBe(0);
  });

  it('rejects $out that is not the last stage and unknown stages', async () => {
    const misplaced = await db
      .collection<AnyDoc>('sales')
      .aggregate([{ $out: 'x' }, { $match: {} }])
      .toArray()
      .catch((e: unknown) => e);
    expect(misplaced).toBeInstanceOf(MongoServerError);
    const unknown = await db
      .collection<AnyDoc>('sales')
      .aggregate([{ $frobnicate: {} }])
      .toArray()
      .catch((e: unknown) => e);
    expect((unknown as MongoServerError).code).toBe(40324);
  });

  it('refuses change streams like a standalone mongod (40573)', async () => {
    const error = await db
      .collection<AnyDoc>('sales')
      .aggregate([{ $changeStream: {} }])
      .toArray()
      .catch((e: unknown) => e);
    expect((error as MongoServerError).code).toBe(40573);
  });
});
