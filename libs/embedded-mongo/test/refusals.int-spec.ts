import { type Db, type MongoClient } from 'mongodb';
import { type AnyDoc, closeTestDatabase, openTestDatabase, serverError } from './test-database';

describe('embedded-mongo: what mongod 7.0 refuses', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('refusals');
    db = handle.db;
  });
  afterAll(async () => closeTestDatabase(handle));

  it('an unknown field in a command body is 40415 naming the command and field', async () => {
    await db.collection('unknown_field').insertOne({ a: 1 });
    const error = await serverError(db.command({ find: 'unknown_field', filtr: { a: 1 } }));
    expect(error.code).toBe(40415);
    expect(error.message).toBe("BSON field 'find.filtr' is an unknown field.");
    const aggregate = await serverError(
      db.command({ aggregate: 'unknown_field', pipeline: [], cursor: {}, allowDiskuse: true }),
    );
    expect(aggregate.message).toBe("BSON field 'aggregate.allowDiskuse' is an unknown field.");
  });

  it('an unknown field in an update or delete statement is 40415 with its path', async () => {
    const update = await serverError(
      db.command({
        update: 'unknown_field',
        updates: [{ q: {}, u: { $set: { b: 1 } }, mult: true }],
      }),
    );
    expect(update.code).toBe(40415);
    expect(update.message).toBe("BSON field 'update.updates.mult' is an unknown field.");
    const remove = await serverError(
      db.command({ delete: 'unknown_field', deletes: [{ q: {}, limit: 0, sort: { a: 1 } }] }),
    );
    expect(remove.message).toBe("BSON field 'delete.deletes.sort' is an unknown field.");
  });

  it('sort on an update statement is refused as before 8.0', async () => {
    const coll = db.collection<AnyDoc>('update_sort');
    await coll.insertMany([{ a: 1 }, { a: 2 }]);
    const error = await serverError(coll.updateOne({}, { $set: { b: 1 } }, { sort: { a: -1 } }));
    expect(error.code).toBe(40415);
    expect(error.message).toBe("BSON field 'update.updates.sort' is an unknown field.");
    expect(await coll.countDocuments({ b: 1 })).toBe(0);
  });

  it('what the driver sends with sessions, concerns, comments and maxTimeMS is accepted', async () => {
    const coll = db.collection<AnyDoc>('driver_fields');
    const session = handle.client.startSession();
    try {
      await coll.insertOne({ _id: 1, a: 1 }, { session, writeConcern: { w: 1 }, comment: 'c' });
      await coll.updateOne(
        { _id: 1 },
        { $set: { b: 2 } },
        { session, comment: 'c', hint: { _id: 1 }, upsert: true },
      );
      const found = await coll
        .find({ _id: 1 }, { session, maxTimeMS: 5000, comment: 'c', readConcern: 'local' })
        .toArray();
      expect(found).toEqual([{ _id: 1, a: 1, b: 2 }]);
      expect(await coll.countDocuments({}, { session, maxTimeMS: 5000 })).toBe(1);
      expect(await coll.estimatedDocumentCount({ maxTimeMS: 5000 })).toBe(1);
      expect(await coll.distinct('a', {}, { session, comment: 'c' })).toEqual([1]);
      await coll.findOneAndUpdate({ _id: 1 }, { $inc: { a: 1 } }, { session, comment: 'c' });
      await coll.deleteOne({ _id: 1 }, { session, comment: 'c', hint: { _id: 1 } });
    } finally {
      await session.endSession();
    }
  });

  it('$-prefixed subfields of _id are refused for storage', async () => {
    const coll = db.collection<AnyDoc>('dollar_id');
    const error = await serverError(coll.insertOne({ _id: { $a: 1 } }));
    expect(error.code).toBe(52);
    expect(error.message).toBe(
      "_id fields may not contain '$'-prefixed fields: $a is not valid for storage.",
    );
    // Deeper levels are checked only from 7.1 on.
    await coll.insertOne({ _id: { a: { $b: 1 } } });
    await coll.deleteOne({ _id: { a: { $b: 1 } } });
    const upsert = await serverError(
      coll.replaceOne({ _id: { x: 1 } }, { _id: { $x: 1 }, v: 1 }, { upsert: true }),
    );
    expect(upsert.code).toBeGreaterThan(0);
    expect(await coll.countDocuments()).toBe(0);
  });

  it('snapshot read concern is refused on a standalone as NotAReplicaSet', async () => {
    const coll = db.collection<AnyDoc>('snapshot_read');
    await coll.insertOne({ a: 1 });
    const error = await serverError(
      coll.find({}, { readConcern: { level: 'snapshot' } }).toArray(),
    );
    expect(error.code).toBe(123);
    expect(error.message).toBe(
      'node needs to be a replica set member to use readConcern: snapshot',
    );
  });
});
