import { type Collection, type Db, type MongoClient, MongoServerError } from 'mongodb';
import { type AnyDoc, closeTestDatabase, openTestDatabase } from './test-database';

describe('embedded-mongo: let variables and pipeline updates', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('let');
    db = handle.db;
  });
  afterAll(async () => closeTestDatabase(handle));

  const seed = async (name: string): Promise<Collection<AnyDoc>> => {
    const coll = db.collection<AnyDoc>(name);
    await coll.insertMany([
      { _id: 1, qty: 5, tier: 'gold' },
      { _id: 2, qty: 10, tier: 'silver' },
      { _id: 3, qty: 15, tier: 'gold' },
    ]);
    return coll;
  };

  it('find sees let variables as $$name inside $expr', async () => {
    const coll = await seed('let_find');
    const docs = await coll
      .find({ $expr: { $gte: ['$qty', '$$min'] } }, { let: { min: 10 }, sort: { _id: 1 } })
      .toArray();
    expect(docs.map((d) => d._id)).toEqual([2, 3]);
  });

  it('let values are expressions evaluated once', async () => {
    const coll = await seed('let_expr');
    const docs = await coll
      .find({ $expr: { $eq: ['$qty', '$$target'] } }, { let: { target: { $add: [7, 8] } } })
      .toArray();
    expect(docs.map((d) => d._id)).toEqual([3]);
  });

  it('aggregate sees let variables in $match and in computed fields', async () => {
    const coll = await seed('let_agg');
    const docs = await coll
      .aggregate(
        [
          { $match: { $expr: { $eq: ['$tier', '$$tier'] } } },
          { $project: { doubled: { $multiply: ['$qty', '$$factor'] } } },
          { $sort: { _id: 1 } },
        ],
        { let: { tier: 'gold', factor: 2 } },
      )
      .toArray();
    expect(docs).toEqual([
      { _id: 1, doubled: 10 },
      { _id: 3, doubled: 30 },
    ]);
  });

  it('updateMany uses let in its filter and in a pipeline update', async () => {
    const coll = await seed('let_update');
    const result = await coll.updateMany(
      { $expr: { $eq: ['$tier', '$$tier'] } },
      [{ $set: { qty: { $add: ['$qty', '$$bonus'] } } }],
      { let: { tier: 'gold', bonus: 100 } },
    );
    expect(result.modifiedCount).toBe(2);
    const docs = await coll.find({}, { sort: { _id: 1 } }).toArray();
    expect(docs.map((d) => d.qty as number)).toEqual([105, 10, 115]);
  });

  it('deleteMany uses let in its filter', async () => {
    const coll = await seed('let_delete');
    const result = await coll.deleteMany(
      { $expr: { $lt: ['$qty', '$$limit'] } },
      { let: { limit: 12 } },
    );
    expect(result.deletedCount).toBe(2);
    expect((await coll.find().toArray()).map((d) => d._id)).toEqual([3]);
  });

  it('findOneAndUpdate uses let in its query and pipeline', async () => {
    const coll = await seed('let_fam');
    const doc = await coll.findOneAndUpdate(
      { $expr: { $eq: ['$_id', '$$id'] } },
      [{ $set: { note: '$$note' } }],
      { let: { id: 2, note: 'picked' }, returnDocument: 'after' },
    );
    expect(doc).toEqual({ _id: 2, qty: 10, tier: 'silver', note: 'picked' });
  });

  it('bulkWrite sends let to every update and delete', async () => {
    const coll = await seed('let_bulk');
    const result = await coll.bulkWrite(
      [
        {
          updateMany: {
            filter: { $expr: { $eq: ['$tier', '$$tier'] } },
            update: [{ $set: { flagged: true } }],
          },
        },
        { deleteOne: { filter: { $expr: { $eq: ['$qty', '$$gone'] } } } },
      ],
      { let: { tier: 'gold', gone: 10 } },
    );
    expect(result.modifiedCount).toBe(2);
    expect(result.deletedCount).toBe(1);
    expect(await coll.countDocuments({ flagged: true })).toBe(2);
  });

  it('an undefined variable is still an error', async () => {
    const coll = await seed('let_undefined');
    const error = await coll
      .find({ $expr: { $eq: ['$qty', '$$nope'] } })
      .toArray()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
  });

  it('refuses a variable name that does not start with a lowercase letter', async () => {
    const coll = await seed('let_badname');
    const error = await coll
      .find({ $expr: { $eq: ['$qty', '$$Min'] } }, { let: { Min: 1 } })
      .toArray()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect((error as MongoServerError).message).toContain(
      "'Min' starts with an invalid character for a user variable name",
    );
  });

  it('a pipeline update that replaces the root keeps the _id', async () => {
    const coll = await seed('pipeline_id');
    await coll.updateOne({ _id: 1 }, [{ $replaceRoot: { newRoot: { renamed: '$tier' } } }]);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, renamed: 'gold' });
    await coll.updateOne({ _id: 2 }, [{ $project: { qty: 1 } }, { $unset: '_id' }]);
    expect(await coll.findOne({ _id: 2 })).toEqual({ _id: 2, qty: 10 });
  });

  it('a pipeline update that sets a different _id is still refused as ImmutableField', async () => {
    const coll = await seed('pipeline_id_change');
    const error = await coll
      .updateOne({ _id: 1 }, [{ $replaceRoot: { newRoot: { _id: 99 } } }])
      .catch((e: unknown) => e);
    expect((error as MongoServerError).code).toBe(66);
  });
});
