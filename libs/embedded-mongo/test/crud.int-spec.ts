import {
  type Collection,
  type Db,
  Decimal128,
  Double,
  Int32,
  Long,
  MongoClient,
  MongoServerError,
  ObjectId,
} from 'mongodb';
import { type AnyDoc, closeTestDatabase, mongoUrl, openTestDatabase } from './test-database';

describe('embedded-mongo: handshake, CRUD and cursors through the official driver', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('crud');
    db = handle.db;
  });
  afterAll(async () => closeTestDatabase(handle));

  const fresh = (name: string): Collection<AnyDoc> => db.collection<AnyDoc>(name);

  describe('handshake and server commands', () => {
    it('answers hello as a writable standalone with a recent wire version', async () => {
      const hello = await db.admin().command({ hello: 1 });
      expect(hello.ok).toBe(1);
      expect(hello.isWritablePrimary).toBe(true);
      expect(hello.setName).toBeUndefined();
      expect(hello.maxWireVersion).toBeGreaterThanOrEqual(17);
      expect(hello.maxBsonObjectSize).toBe(16 * 1024 * 1024);
    });

    it('answers the legacy isMaster, ping and buildInfo', async () => {
      const isMaster = await db.admin().command({ isMaster: 1 });
      expect(isMaster.ismaster).toBe(true);
      expect((await db.admin().ping()).ok).toBe(1);
      const info = await db.admin().buildInfo();
      expect(typeof info.version).toBe('string');
      expect(info.versionArray[0]).toBeGreaterThanOrEqual(6);
    });

    it('lists databases that hold collections', async () => {
      await fresh('listed').insertOne({ x: 1 });
      const { databases } = await db.admin().listDatabases();
      expect(databases.map((d) => d.name)).toContain(db.databaseName);
    });

    it('serves several connections at once', async () => {
      const clients = await Promise.all(
        [1, 2, 3].map(async () => new MongoClient(mongoUrl(), { maxPoolSize: 1 }).connect()),
      );
      try {
        await Promise.all(
          clients.map((c, i) =>
            c
              .db(db.databaseName)
              .collection<AnyDoc>('multi')
              .insertMany(Array.from({ length: 50 }, (_, j) => ({ client: i, j }))),
          ),
        );
        expect(await fresh('multi').countDocuments()).toBe(150);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });

    it('answers an unknown command with CommandNotFound (59)', async () => {
      const error = await db.command({ frobnicate: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      expect((error as MongoServerError).code).toBe(59);
      expect((error as MongoServerError).codeName).toBe('CommandNotFound');
    });
  });

  describe('insert and find', () => {
    it('inserts documents and finds them by filter, sort, projection, skip and limit', async () => {
      const c = fresh('people');
      const result = await c.insertMany([
        { _id: 'ann', name: 'Ann', age: 31, tags: ['a', 'b'], address: { city: 'Oslo' } },
        { _id: 'bob', name: 'Bob', age: 25, tags: ['b'], address: { city: 'Bergen' } },
        { _id: 'cid', name: 'Cid', age: 40, tags: [], address: { city: 'Oslo' } },
        { _id: 'dan', name: 'Dan', age: 25 },
      ]);
      expect(result.insertedCount).toBe(4);
      const oslo = await c
        .find({ 'address.city': 'Oslo' }, { projection: { name: 1, _id: 0 } })
        .sort({ age: -1 })
        .toArray();
      expect(oslo).toEqual([{ name: 'Cid' }, { name: 'Ann' }]);
      const page = await c.find({}).sort({ age: 1, _id: 1 }).skip(1).limit(2).toArray();
      expect(page.map((d) => d._id)).toEqual(['dan', 'ann']);
      expect(await c.findOne({ tags: 'b', age: { $gt: 30 } })).toMatchObject({ _id: 'ann' });
      expect(await c.countDocuments({ age: 25 })).toBe(2);
      expect(await c.estimatedDocumentCount()).toBe(4);
    });

    it('generates ObjectId _ids and finds by them', async () => {
      const c = fresh('oids');
      const { insertedId } = await c.insertOne({ v: 1 });
      expect(insertedId).toBeInstanceOf(ObjectId);
      expect(await c.findOne({ _id: insertedId })).toEqual({ _id: insertedId, v: 1 });
    });

    it('supports compound _ids', async () => {
      const c = fresh('compound_ids');
      await c.insertMany([
        { _id: { tenant: 't1', n: 1 }, v: 'a' },
        { _id: { tenant: 't1', n: 2 }, v: 'b' },
      ] as never[]);
      expect(await c.findOne({ _id: { tenant: 't1', n: 2 } } as never)).toMatchObject({ v: 'b' });
    });

    it('finds each document of an _id $in once, in _id order, however the list repeats or orders them', async () => {
      const c = fresh('id_in');
      await c.insertMany([{ _id: 'b' }, { _id: 'a' }, { _id: 'c' }, { _id: 1 }, { _id: 2.5 }]);
      expect(await c.find({ _id: { $in: ['c', 'a', 'a', 'zz'] } }).toArray()).toEqual([
        { _id: 'a' },
        { _id: 'c' },
      ]);
      expect(await c.find({ _id: { $in: [2.5, 1, 1.0, 'b'] } }).toArray()).toEqual([
        { _id: 1 },
        { _id: 2.5 },
        { _id: 'b' },
      ]);
      expect(await c.countDocuments({ _id: { $in: ['a', 'a', 'b'] } })).toBe(2);
      // A long list of string ids (the read models' batch reads): every one found, the absent ones not.
      const ids = Array.from({ length: 3000 }, (_, i) => `k${i}`);
      await c.insertMany(ids.filter((_, i) => i % 3 === 0).map((_id) => ({ _id })));
      const found = await c.find({ _id: { $in: ids } }).toArray();
      expect(found.map((d) => d._id).sort()).toEqual(ids.filter((_, i) => i % 3 === 0).sort());
    });

    it('treats null as matching both null and missing fields, $exists tells them apart', async () => {
      const c = fresh('nulls');
      await c.insertMany([{ _id: 1, v: null }, { _id: 2 }, { _id: 3, v: 0 }]);
      const nullish = await c.find({ v: null }).sort({ _id: 1 }).toArray();
      expect(nullish.map((d) => d._id)).toEqual([1, 2]);
      const missing = await c.find({ v: { $exists: false } }).toArray();
      expect(missing.map((d) => d._id)).toEqual([2]);
    });

    it('pages through a large result with batchSize, getMore and killCursors', async () => {
      const c = fresh('paging');
      await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, i })));
      const cursor = c.find({}).sort({ _id: 1 }).batchSize(40);
      const seen: number[] = [];
      for await (const doc of cursor) seen.push(doc.i as number);
      expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i));

      const first = await db.command(
        { find: 'paging', filter: {}, batchSize: 10 },
        { promoteLongs: false },
      );
      expect(first.cursor.firstBatch).toHaveLength(10);
      const cursorId = first.cursor.id as Long;
      expect(cursorId.isZero()).toBe(false);
      const more = await db.command({ getMore: cursorId, collection: 'paging', batchSize: 5 });
      expect(more.cursor.nextBatch).toHaveLength(5);
      const killed = await db.command({ killCursors: 'paging', cursors: [cursorId] });
      expect(killed.cursorsKilled).toHaveLength(1);
      const gone = await db
        .command({ getMore: cursorId, collection: 'paging' })
        .catch((e: unknown) => e);
      expect((gone as MongoServerError).code).toBe(43);
    });
  });

  describe('BSON types', () => {
    it('keeps Int32, Long, Double and Decimal128 types on a round trip', async () => {
      const c = fresh('types');
      await c.insertOne({
        _id: 1,
        i: new Int32(7),
        l: Long.fromString('9007199254740993'),
        small: Long.fromNumber(5),
        d: new Double(5),
        f: 2.5,
        dec: Decimal128.fromString('10.10'),
        when: new Date('2024-01-02T03:04:05Z'),
      });
      const raw = await c.findOne({ _id: 1 }, { promoteValues: false, promoteLongs: false });
      expect(raw?.i).toBeInstanceOf(Int32);
      expect(raw?.l).toBeInstanceOf(Long);
      expect((raw?.l as Long).toString()).toBe('9007199254740993');
      expect(raw?.small).toBeInstanceOf(Long);
      expect(raw?.d).toBeInstanceOf(Double);
      expect(raw?.f).toBeInstanceOf(Double);
      expect((raw?.dec as Decimal128).toString()).toBe('10.10');
      expect(raw?.when).toEqual(new Date('2024-01-02T03:04:05Z'));
    });

    it('keeps a Long a Long through $inc and $set', async () => {
      const c = fresh('types_update');
      await c.insertOne({ _id: 1, n: Long.fromNumber(10), d: new Double(1) });
      await c.updateOne({ _id: 1 }, { $inc: { n: 5, d: 1 }, $set: { m: Long.fromNumber(3) } });
      const raw = await c.findOne({ _id: 1 }, { promoteValues: false });
      expect(raw?.n).toEqual(Long.fromNumber(15));
      expect(raw?.d).toEqual(new Double(2));
      expect(raw?.m).toEqual(Long.fromNumber(3));
    });

    it('matches numbers across types: Long 5, Int32 5, Double 5 and Decimal 5 are equal', async () => {
      const c = fresh('numeric_eq');
      await c.insertMany([
        { _id: 'long', v: Long.fromNumber(5) },
        { _id: 'int', v: new Int32(5) },
        { _id: 'double', v: new Double(5) },
        { _id: 'dec', v: Decimal128.fromString('5') },
        { _id: 'other', v: 6 },
      ]);
      const fives = await c.find({ v: 5 }).sort({ _id: 1 }).toArray();
      expect(fives.map((d) => d._id)).toEqual(['dec', 'double', 'int', 'long']);
      expect(await c.countDocuments({ v: Long.fromNumber(5) })).toBe(4);
      expect(await c.countDocuments({ v: { $gt: new Double(5.5) } })).toBe(1);
    });

    it('keeps Long ids beyond 2^53 distinct (no rounding through doubles)', async () => {
      const c = fresh('big_longs');
      const a = Long.fromString('1152921504606846977');
      const b = Long.fromString('1152921504606846976');
      await c.insertMany([
        { _id: a, v: 'a' },
        { _id: b, v: 'b' },
      ]);
      expect(await c.findOne({ _id: a })).toMatchObject({ v: 'a' });
      expect(await c.findOne({ _id: b })).toMatchObject({ v: 'b' });
      const sorted = await c.find({}, { promoteLongs: false }).sort({ _id: 1 }).toArray();
      expect(sorted.map((d) => (d._id as Long).toString())).toEqual([b.toString(), a.toString()]);
      const dup = await c.insertOne({ _id: a }).catch((e: unknown) => e);
      expect((dup as MongoServerError).code).toBe(11000);
    });

    it('sorts mixed types in MongoDB order: null, numbers, strings, objects, arrays, ObjectId, booleans, dates', async () => {
      const c = fresh('mixed_sort');
      const oid = new ObjectId();
      const date = new Date(0);
      await c.insertMany([
        { _id: 1, v: date },
        { _id: 2, v: true },
        { _id: 3, v: oid },
        { _id: 4, v: 'text' },
        { _id: 5, v: Long.fromNumber(3) },
        { _id: 6, v: 2.5 },
        { _id: 7, v: null },
        { _id: 8, v: { a: 1 } },
      ]);
      const sorted = await c.find({}).sort({ v: 1 }).toArray();
      expect(sorted.map((d) => d._id)).toEqual([7, 6, 5, 4, 8, 3, 2, 1]);
    });

    it('sorts ObjectIds by their creation order and dates chronologically', async () => {
      const c = fresh('oid_sort');
      const ids = [1, 2, 3].map((s) => ObjectId.createFromTime(1_700_000_000 + s));
      await c.insertMany([{ _id: ids[2] }, { _id: ids[0] }, { _id: ids[1] }]);
      const asc = await c.find({}).sort({ _id: 1 }).toArray();
      expect(asc.map((d) => (d._id as ObjectId).toHexString())).toEqual(
        ids.map((i) => i.toHexString()),
      );
      expect(await c.countDocuments({ _id: { $gt: ids[0] } })).toBe(2);
    });
  });

  describe('updates', () => {
    it('updates one or many, upserts, and reports matched/modified/upserted counts', async () => {
      const c = fresh('updates');
      await c.insertMany([
        { _id: 1, group: 'a', n: 1 },
        { _id: 2, group: 'a', n: 2 },
        { _id: 3, group: 'b', n: 3 },
      ]);
      const many = await c.updateMany({ group: 'a' }, { $inc: { n: 10 } });
      expect(many.matchedCount).toBe(2);
      expect(many.modifiedCount).toBe(2);
      const same = await c.updateOne({ _id: 3 }, { $set: { n: 3 } });
      expect(same.matchedCount).toBe(1);
      expect(same.modifiedCount).toBe(0);
      const up = await c.updateOne(
        { _id: 9, group: 'z' },
        { $set: { n: 1 }, $setOnInsert: { created: true } },
        { upsert: true },
      );
      expect(up.upsertedId).toBe(9);
      expect(await c.findOne({ _id: 9 })).toEqual({ _id: 9, group: 'z', n: 1, created: true });
      await c.updateOne(
        { _id: 9 },
        { $set: { n: 2 }, $setOnInsert: { created: false } },
        { upsert: true },
      );
      expect(await c.findOne({ _id: 9 })).toEqual({ _id: 9, group: 'z', n: 2, created: true });
      const upsertedOid = await c.updateOne({ group: 'new' }, { $set: { n: 0 } }, { upsert: true });
      expect(upsertedOid.upsertedId).toBeInstanceOf(ObjectId);
    });

    it('replaces whole documents and keeps the _id', async () => {
      const c = fresh('replace');
      await c.insertOne({ _id: 1, a: 1, b: 2 });
      await c.replaceOne({ _id: 1 }, { c: 3 });
      expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, c: 3 });
      const error = await c.replaceOne({ _id: 1 }, { _id: 2, c: 3 }).catch((e: unknown) => e);
      expect((error as MongoServerError).code).toBe(66);
    });

    it('stores a replacement with _id first (from the filter when the replacement lacks it), then its fields in order', async () => {
      const c = fresh('replace_order');
      await c.replaceOne(
        { _id: 'a', v: { $lt: 5 } },
        { z: 1, y: { b: 2, a: 1 } },
        { upsert: true },
      );
      await c.replaceOne({ _id: { $eq: 'b' } }, { z: 1, _id: 'b', y: [3] }, { upsert: true });
      const generated = await c.replaceOne({ v: { $lt: 5 } }, { z: 1, y: 2 }, { upsert: true });
      await c.insertOne({ _id: 'c', old: true });
      await c.replaceOne({ _id: 'c' }, { z: 2, _id: 'c', y: 1 });
      const stored = await c.find({}, { sort: { z: 1 } }).toArray();
      expect(stored.map((doc) => Object.keys(doc))).toEqual([
        ['_id', 'z', 'y'],
        ['_id', 'z', 'y'],
        ['_id', 'z', 'y'],
        ['_id', 'z', 'y'],
      ]);
      expect(await c.findOne({ _id: 'a' })).toEqual({ _id: 'a', z: 1, y: { b: 2, a: 1 } });
      expect(Object.keys((await c.findOne({ _id: 'a' }))!.y as object)).toEqual(['b', 'a']);
      expect(await c.findOne({ _id: 'b' })).toEqual({ _id: 'b', z: 1, y: [3] });
      expect(generated.upsertedId).toBeInstanceOf(ObjectId);
      expect(await c.findOne({ _id: 'c' })).toEqual({ _id: 'c', z: 2, y: 1 });
    });

    it('updates array elements with arrayFilters and the positional operator', async () => {
      const c = fresh('array_updates');
      await c.insertOne({
        _id: 1,
        grades: [
          { subject: 'math', score: 70 },
          { subject: 'art', score: 90 },
        ],
        tags: ['x'],
      });
      await c.updateOne(
        { _id: 1 },
        { $set: { 'grades.$[g].score': 100 } },
        { arrayFilters: [{ 'g.subject': 'math' }] },
      );
      await c.updateOne({ _id: 1, 'grades.subject': 'art' }, { $inc: { 'grades.$.score': 1 } });
      await c.updateOne({ _id: 1 }, { $push: { tags: { $each: ['y', 'z'] } } } as never);
      await c.updateOne({ _id: 1 }, { $addToSet: { tags: 'x' } });
      const conflict = await c
        .updateOne({ _id: 1 }, { $push: { tags: 'w' }, $addToSet: { tags: 'x' } } as never)
        .catch((e: unknown) => e);
      expect((conflict as MongoServerError).code).toBe(40);
      expect(await c.findOne({ _id: 1 })).toEqual({
        _id: 1,
        grades: [
          { subject: 'math', score: 100 },
          { subject: 'art', score: 91 },
        ],
        tags: ['x', 'y', 'z'],
      });
    });

    it('applies $push modifiers, $rename, $mul, $min/$max and $unset', async () => {
      const c = fresh('more_operators');
      await c.insertOne({ _id: 1, name: 'x', price: 2, low: 5, tmp: true });
      await c.updateOne({ _id: 1 }, {
        $push: { recent: { $each: [5, 1, 3], $sort: -1, $slice: 2 } },
        $rename: { name: 'title' },
        $mul: { price: 3 },
        $min: { low: 4 },
        $unset: { tmp: '' },
      } as never);
      await c.updateOne({ _id: 1 }, { $push: { recent: { $each: [9], $position: 0 } } } as never);
      expect(await c.findOne({ _id: 1 })).toEqual({
        _id: 1,
        title: 'x',
        price: 6,
        low: 4,
        recent: [9, 5, 3],
      });
    });

    it('applies aggregation pipeline updates', async () => {
      const c = fresh('pipeline_updates');
      await c.insertMany([
        { _id: 1, first: 'Ada', last: 'Lovelace' },
        { _id: 2, first: 'Alan', last: 'Turing' },
      ]);
      await c.updateMany({}, [
        { $set: { full: { $concat: ['$first', ' ', '$last'] } } },
        { $unset: 'first' },
      ]);
      expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 1, last: 'Lovelace', full: 'Ada Lovelace' },
        { _id: 2, last: 'Turing', full: 'Alan Turing' },
      ]);
    });

    it('rejects an unknown update operator with FailedToParse (9)', async () => {
      const c = fresh('bad_update');
      await c.insertOne({ _id: 1 });
      const error = await c.updateOne({ _id: 1 }, { $frob: { a: 1 } }).catch((e: unknown) => e);
      expect((error as MongoServerError).code).toBe(9);
    });
  });

  describe('delete, findAndModify, distinct', () => {
    it('deletes one or many', async () => {
      const c = fresh('deletes');
      await c.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }, { k: 3 }]);
      expect((await c.deleteOne({ k: 1 })).deletedCount).toBe(1);
      expect((await c.deleteMany({ k: { $gte: 1 } })).deletedCount).toBe(3);
      expect(await c.countDocuments()).toBe(0);
    });

    it('findOneAndUpdate returns the document before or after, and upserts', async () => {
      const c = fresh('fam');
      await c.insertMany([
        { _id: 1, q: 1, n: 5 },
        { _id: 2, q: 1, n: 1 },
      ]);
      const before = await c.findOneAndUpdate({ q: 1 }, { $inc: { n: 1 } }, { sort: { n: 1 } });
      expect(before).toEqual({ _id: 2, q: 1, n: 1 });
      const after = await c.findOneAndUpdate(
        { _id: 2 },
        { $inc: { n: 1 } },
        { returnDocument: 'after', projection: { n: 1 } },
      );
      expect(after).toEqual({ _id: 2, n: 3 });
      const upserted = await c.findOneAndUpdate(
        { _id: 3 },
        { $set: { n: 0 } },
        { upsert: true, returnDocument: 'after' },
      );
      expect(upserted).toEqual({ _id: 3, n: 0 });
      const deleted = await c.findOneAndDelete({ _id: 1 });
      expect(deleted).toEqual({ _id: 1, q: 1, n: 5 });
      expect(await c.findOneAndReplace({ _id: 42 }, { x: 1 })).toBeNull();
    });

    it('returns distinct values, unwinding arrays', async () => {
      const c = fresh('distinct');
      await c.insertMany([{ t: ['a', 'b'] }, { t: 'b' }, { t: 'c', skip: true }]);
      expect((await c.distinct('t')).sort()).toEqual(['a', 'b', 'c']);
      expect((await c.distinct('t', { skip: { $ne: true } })).sort()).toEqual(['a', 'b']);
    });
  });
});
