import { type CollectionInfo, type Db, type MongoClient } from 'mongodb';
import { type AnyDoc, closeTestDatabase, openTestDatabase, serverError } from './test-database';

const names = (docs: AnyDoc[]): unknown[] => docs.map((d) => d.name as unknown);

describe('embedded-mongo: collations', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('collation');
    db = handle.db;
    await db.collection<AnyDoc>('people').insertMany([
      { _id: 1, name: 'Zoë' },
      { _id: 2, name: 'zoe' },
      { _id: 3, name: 'ZOE' },
      { _id: 4, name: 'adam' },
      { _id: 5, name: 'Émile' },
      { _id: 6, name: 'emile' },
    ]);
  });
  afterAll(async () => closeTestDatabase(handle));

  const people = (): ReturnType<Db['collection']> => db.collection('people');

  it('strength 2 matches case-insensitively but not across accents', async () => {
    const found = await people()
      .find({ name: 'zoe' }, { collation: { locale: 'en', strength: 2 }, sort: { _id: 1 } })
      .toArray();
    expect(names(found)).toEqual(['zoe', 'ZOE']);
  });

  it('strength 1 matches across case and accents, in $in and $ne too', async () => {
    const collation = { locale: 'fr', strength: 1 };
    const found = await people()
      .find({ name: 'zoe' }, { collation, sort: { _id: 1 } })
      .toArray();
    expect(names(found)).toEqual(['Zoë', 'zoe', 'ZOE']);
    expect(await people().countDocuments({ name: { $in: ['EMILE'] } }, { collation })).toBe(2);
    expect(await people().countDocuments({ name: { $ne: 'ADAM' } }, { collation })).toBe(5);
  });

  it('without a collation comparison stays binary', async () => {
    expect(names(await people().find({ name: 'zoe' }).toArray())).toEqual(['zoe']);
  });

  it('sorts by the locale: accents and case next to their letter', async () => {
    const sorted = await people()
      .find({}, { collation: { locale: 'en' }, sort: { name: 1, _id: 1 } })
      .toArray();
    expect(names(sorted)).toEqual(['adam', 'emile', 'Émile', 'zoe', 'ZOE', 'Zoë']);
    const binary = await people()
      .find({}, { sort: { name: 1 } })
      .toArray();
    expect(names(binary)[0]).toBe('ZOE');
  });

  it('numericOrdering sorts digit runs as numbers', async () => {
    const files = db.collection<AnyDoc>('files');
    await files.insertMany([{ name: 'f10' }, { name: 'f9' }, { name: 'f100' }]);
    const sorted = await files
      .find({}, { collation: { locale: 'en', numericOrdering: true }, sort: { name: 1 } })
      .toArray();
    expect(names(sorted)).toEqual(['f9', 'f10', 'f100']);
  });

  it('aggregate $match and $sort follow the collation', async () => {
    const result = await people()
      .aggregate([{ $match: { name: { $gte: 'e', $lt: 'f' } } }, { $sort: { name: -1, _id: 1 } }], {
        collation: { locale: 'en', strength: 1 },
      })
      .toArray();
    expect(names(result)).toEqual(['Émile', 'emile']);
  });

  it('updates and deletes use the statement collation', async () => {
    const coll = db.collection<AnyDoc>('tags');
    await coll.insertMany([{ name: 'Red' }, { name: 'RED' }, { name: 'blue' }]);
    const updated = await coll.updateMany(
      { name: 'red' },
      { $set: { warm: true } },
      { collation: { locale: 'en', strength: 2 } },
    );
    expect(updated.modifiedCount).toBe(2);
    const deleted = await coll.deleteMany(
      { name: 'BLUE' },
      { collation: { locale: 'en', strength: 2 } },
    );
    expect(deleted.deletedCount).toBe(1);
    const doc = await coll.findOneAndUpdate(
      { name: 'red' },
      { $set: { picked: true } },
      { collation: { locale: 'en', strength: 2 }, sort: { name: 1 }, returnDocument: 'after' },
    );
    expect(doc).toMatchObject({ picked: true });
  });

  it('distinct counts strings equal under the collation once', async () => {
    const values = await people().distinct(
      'name',
      {},
      { collation: { locale: 'en', strength: 1 } },
    );
    expect(values).toHaveLength(3);
  });

  it('a unique index with a collation refuses case variants, and the index serves collated queries', async () => {
    const users = db.collection<AnyDoc>('users');
    await users.createIndex(
      { email: 1 },
      { unique: true, collation: { locale: 'en', strength: 2 } },
    );
    await users.insertOne({ email: 'Ann@Example.com' });
    const dup = await serverError(users.insertOne({ email: 'ann@example.COM' }));
    expect(dup.code).toBe(11000);
    await users.insertOne({ email: 'bob@example.com' });
    const found = await users
      .find({ email: 'BOB@EXAMPLE.COM' }, { collation: { locale: 'en', strength: 2 } })
      .toArray();
    expect(found).toHaveLength(1);
    const plan = await users
      .find({ email: 'BOB@EXAMPLE.COM' }, { collation: { locale: 'en', strength: 2 } })
      .explain();
    expect(JSON.stringify(plan.queryPlanner)).toContain('"indexName":"email_1"');
    const binaryPlan = await users.find({ email: 'BOB@EXAMPLE.COM' }).explain();
    expect(JSON.stringify(binaryPlan.queryPlanner)).not.toContain('email_1');
    const [index] = (await users.indexes()).filter((i) => i.name === 'email_1');
    expect(index.collation).toMatchObject({ locale: 'en', strength: 2, caseLevel: false });
  });

  it('a collection default collation applies to queries, indexes that name none and _id uniqueness', async () => {
    await db.createCollection('cities', { collation: { locale: 'de', strength: 2 } });
    const cities = db.collection<AnyDoc>('cities');
    await cities.createIndex({ name: 1 }, { unique: true });
    await cities.insertMany([{ name: 'München' }, { name: 'Berlin' }]);
    expect(await cities.countDocuments({ name: 'MÜNCHEN' })).toBe(1);
    expect(
      await cities.countDocuments({ name: 'MÜNCHEN' }, { collation: { locale: 'simple' } }),
    ).toBe(0);
    const dup = await serverError(cities.insertOne({ name: 'berlin' }));
    expect(dup.code).toBe(11000);
    await cities.insertOne({ _id: 'Köln', name: 'Köln' });
    const dupId = await serverError(cities.insertOne({ _id: 'KÖLN', name: 'Cologne' }));
    expect(dupId.code).toBe(11000);
    expect(await cities.findOne({ _id: 'köln' })).toMatchObject({ name: 'Köln' });
    await cities.deleteOne({ _id: 'KÖLN' });
    await cities.insertOne({ _id: 'köln', name: 'Koeln' });
    const [info] = (await db.listCollections({ name: 'cities' }).toArray()) as CollectionInfo[];
    expect(info.options?.collation).toMatchObject({ locale: 'de', strength: 2 });
  });

  it('refuses invalid collations as mongod does', async () => {
    const coll = people();
    const unknownLocale = await serverError(
      coll.find({}, { collation: { locale: 'xx_YY' } }).toArray(),
    );
    expect(unknownLocale.code).toBe(2);
    const strength = await serverError(
      coll.find({}, { collation: { locale: 'en', strength: 6 } }).toArray(),
    );
    expect(strength.code).toBe(51024);
    const missing = await serverError(
      coll.find({}, { collation: { strength: 2 } as unknown as { locale: string } }).toArray(),
    );
    expect(missing.code).toBe(40414);
    const unknownField = await serverError(
      coll
        .find({}, { collation: { locale: 'en', colour: 1 } as unknown as { locale: string } })
        .toArray(),
    );
    expect(unknownField.code).toBe(40415);
    const caseFirst = await serverError(
      coll.find({}, { collation: { locale: 'en', caseFirst: 'sideways' } }).toArray(),
    );
    expect(caseFirst.code).toBe(2);
  });
});
