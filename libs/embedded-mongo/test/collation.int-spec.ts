import {
  type CollationOptions,
  type CollectionInfo,
  type Db,
  type Document,
  type MongoClient,
} from 'mongodb';
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

  describe("index keys are ICU's equivalence classes", () => {
    it('a unique index at strength 1 refuses Strasse after Straße (ICU: ß = ss), German and English alike', async () => {
      for (const locale of ['de', 'en']) {
        const streets = db.collection<AnyDoc>(`streets_${locale}`);
        await streets.createIndex(
          { name: 1 },
          { unique: true, collation: { locale, strength: 1 } },
        );
        await streets.insertOne({ name: 'Straße' });
        const dup = await serverError(streets.insertOne({ name: 'STRASSE' }));
        expect(dup.code).toBe(11000);
        const collation = { locale, strength: 1 };
        const plan = await streets
          .find({ name: 'strasse' }, { collation })
          .explain('executionStats');
        expect(JSON.stringify(plan.queryPlanner)).toContain('"indexName":"name_1"');
        expect(plan.executionStats).toMatchObject({ nReturned: 1, totalDocsExamined: 1 });
      }
    });

    it('at strength 2, where ICU tells ß from ss, a unique index keeps both', async () => {
      const streets = db.collection<AnyDoc>('streets_strength2');
      const collation = { locale: 'de', strength: 2 };
      await streets.createIndex({ name: 1 }, { unique: true, collation });
      await streets.insertMany([{ name: 'Straße' }, { name: 'Strasse' }]);
      const dup = await serverError(streets.insertOne({ name: 'STRASSE' }));
      expect(dup.code).toBe(11000);
      expect(await streets.countDocuments({ name: 'STRASSE' }, { collation })).toBe(1);
    });

    it('canonically equivalent strings share a key at the default strength (precomposed é = e + U+0301)', async () => {
      const words = db.collection<AnyDoc>('words_nfc');
      await words.createIndex({ w: 1 }, { unique: true, collation: { locale: 'fr' } });
      await words.insertOne({ w: 'caf\u00e9' });
      const dup = await serverError(words.insertOne({ w: 'cafe\u0301' }));
      expect(dup.code).toBe(11000);
      await words.insertOne({ w: 'CAF\u00c9' });
      expect(await words.countDocuments({})).toBe(2);
    });
  });

  it('a collated index serves string ranges of queries with its collation, in collation order', async () => {
    const fruit = db.collection<AnyDoc>('fruit');
    const collation = { locale: 'en', strength: 2 };
    await fruit.createIndex({ name: 1 }, { collation });
    await fruit.insertMany(
      ['apple', 'Banana', 'cherry', 'Date', 'banana', 'Äpfel', 'date'].map((name) => ({ name })),
    );
    const plan = await fruit
      .find({ name: { $gte: 'b', $lt: 'D' } }, { collation })
      .explain('executionStats');
    expect(JSON.stringify(plan.queryPlanner)).toContain('"indexName":"name_1"');
    expect(plan.executionStats).toMatchObject({ nReturned: 3, totalDocsExamined: 3 });
    const found = await fruit
      .find({ name: { $gt: 'APPLE', $lte: 'date' } }, { collation, sort: { name: 1, _id: 1 } })
      .toArray();
    expect(names(found)).toEqual(['Banana', 'banana', 'cherry', 'Date', 'date']);
    // Binary, the index cannot answer: 'D' < 'a' < 'b' in code points.
    const binary = await fruit.find({ name: { $gte: 'b', $lt: 'D' } }).explain('executionStats');
    expect(JSON.stringify(binary.queryPlanner)).not.toContain('name_1');
    expect(binary.executionStats).toMatchObject({ nReturned: 0 });
  });

  it('a string _id condition with the collection default collation uses the _id index; another collation scans', async () => {
    await db.createCollection('codes', { collation: { locale: 'en', strength: 2 } });
    const codes = db.collection<AnyDoc>('codes');
    await codes.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: `Code-${i}`, n: i })));
    const plan = await codes.find({ _id: 'CODE-7' }).explain('executionStats');
    expect(JSON.stringify(plan.queryPlanner)).toContain('"indexName":"_id_"');
    expect(plan.executionStats).toMatchObject({ nReturned: 1, totalDocsExamined: 1 });
    const inPlan = await codes
      .find({ _id: { $in: ['code-1', 'CODE-1', 'code-2', 'nope'] } })
      .explain('executionStats');
    expect(inPlan.executionStats).toMatchObject({ nReturned: 2, totalDocsExamined: 2 });
    const other = await codes
      .find({ _id: 'CODE-7' }, { collation: { locale: 'en', strength: 1 } })
      .explain('executionStats');
    expect(JSON.stringify(other.queryPlanner)).not.toContain('"indexName":"_id_"');
    expect(other.executionStats).toMatchObject({ nReturned: 1, totalDocsExamined: 20 });
  });

  it('update $addToSet, $pull and $pullAll compare array elements by the collation', async () => {
    interface Tagged {
      _id: string;
      tags: string[];
      nested?: { list: string[] };
    }
    const coll = db.collection<Tagged>('tagged');
    const collation = { locale: 'en', strength: 2 };
    await coll.insertOne({ _id: 't1', tags: ['Red', 'blue'], nested: { list: ['Green'] } });
    await coll.updateOne(
      { _id: 't1' },
      { $addToSet: { tags: { $each: ['RED', 'BLUE', 'yellow', 'YELLOW'] } } },
      { collation },
    );
    expect((await coll.findOne({ _id: 't1' }))!.tags).toEqual(['Red', 'blue', 'yellow']);
    await coll.updateOne({ _id: 't1' }, { $pull: { tags: 'red' } }, { collation });
    await coll.updateOne({ _id: 't1' }, { $pullAll: { 'nested.list': ['GREEN'] } }, { collation });
    const after = (await coll.findOne({ _id: 't1' }))!;
    expect(after.tags).toEqual(['blue', 'yellow']);
    expect(after.nested).toEqual({ list: [] });
    // Binary without a collation: 'BLUE' is another member, and 'Blue' pulls nothing.
    await coll.updateOne({ _id: 't1' }, { $addToSet: { tags: 'BLUE' } });
    await coll.updateOne({ _id: 't1' }, { $pull: { tags: 'Blue' } });
    expect((await coll.findOne({ _id: 't1' }))!.tags).toEqual(['blue', 'yellow', 'BLUE']);
    // The collection default applies to updates that name no collation.
    await db.createCollection('tagged_ci', { collation });
    const ci = db.collection<Tagged>('tagged_ci');
    await ci.insertOne({ _id: 't2', tags: ['Red'] });
    const result = await ci.findOneAndUpdate(
      { _id: 't2' },
      { $addToSet: { tags: 'RED' } },
      { returnDocument: 'after' },
    );
    expect(result!.tags).toEqual(['Red']);
  });

  describe('aggregation under a collation', () => {
    const strength1 = { locale: 'en', strength: 1 };
    /** The expressions evaluated on the person with _id 1, under `collation` when one is given. */
    const projectFirst = async (
      expressions: Document,
      collation?: CollationOptions,
    ): Promise<AnyDoc> => {
      const [result] = await people()
        .aggregate<AnyDoc>(
          [{ $match: { _id: 1 } }, { $project: { _id: 0, ...expressions } }],
          collation ? { collation } : {},
        )
        .toArray();
      return result;
    };

    it('$group puts values the collation calls equal in one group, keyed by the first one seen', async () => {
      const groups = await people()
        .aggregate<AnyDoc>(
          [
            { $sort: { _id: 1 } },
            { $group: { _id: '$name', n: { $sum: 1 } } },
            { $sort: { n: -1, _id: 1 } },
          ],
          { collation: strength1 },
        )
        .toArray();
      expect(groups).toEqual([
        { _id: 'Zoë', n: 3 },
        { _id: 'Émile', n: 2 },
        { _id: 'adam', n: 1 },
      ]);
      const binary = await people()
        .aggregate([{ $group: { _id: '$name' } }])
        .toArray();
      expect(binary).toHaveLength(6);
    });

    it('$group keys that are documents compare their strings by the collation', async () => {
      const groups = await people()
        .aggregate([{ $group: { _id: { who: '$name' } } }], { collation: strength1 })
        .toArray();
      expect(groups).toHaveLength(3);
    });

    it('$addToSet adds values the collation calls equal once; $min and $max order by it', async () => {
      const [result] = await people()
        .aggregate<AnyDoc>(
          [
            { $sort: { _id: 1 } },
            { $group: { _id: null, names: { $addToSet: '$name' }, last: { $max: '$name' } } },
          ],
          { collation: strength1 },
        )
        .toArray();
      expect(result.names).toEqual(['Zoë', 'adam', 'Émile']);
      expect(['Zoë', 'zoe', 'ZOE']).toContain(result.last);
      const [binary] = await people()
        .aggregate<AnyDoc>([{ $group: { _id: null, last: { $max: '$name' } } }])
        .toArray();
      expect(binary.last).toBe('Émile');
    });

    it('$in, $setUnion, $setIntersection, $setIsSubset, $indexOfArray and $eq compare strings by the collation', async () => {
      const result = await projectFirst(
        {
          inList: { $in: ['ZOE', ['zoë', 'adam']] },
          union: {
            $setUnion: [
              ['Zoë', 'adam'],
              ['ZOE', 'ADAM', 'emile'],
            ],
          },
          common: { $setIntersection: [['Zoë', 'adam'], ['zoe']] },
          subset: { $setIsSubset: [['ZOE'], ['zoë']] },
          at: { $indexOfArray: [['adam', 'EMILE', 'zoe'], 'Zoë'] },
          same: { $eq: ['$name', 'zoe'] },
          after: { $gt: ['$name', 'ZOE'] },
        },
        strength1,
      );
      expect(result).toEqual({
        inList: true,
        union: ['Zoë', 'adam', 'emile'],
        common: ['Zoë'],
        subset: true,
        at: 2,
        same: true,
        after: false,
      });
      const binary = await projectFirst({
        inList: { $in: ['ZOE', ['zoë', 'adam']] },
        same: { $eq: ['$name', 'zoe'] },
      });
      expect(binary).toEqual({ inList: false, same: false });
    });

    it('$sortArray orders strings by the collation, by value or by a field', async () => {
      const result = await projectFirst(
        {
          values: { $sortArray: { input: ['b', 'C', 'a', 'É', 'e'], sortBy: 1 } },
          docs: {
            $sortArray: { input: [{ n: 'b' }, { n: 'a' }, { n: 'C' }], sortBy: { n: -1 } },
          },
        },
        { locale: 'en' },
      );
      expect(result).toEqual({
        values: ['a', 'b', 'C', 'e', 'É'],
        docs: [{ n: 'C' }, { n: 'b' }, { n: 'a' }],
      });
    });

    it('$expr in a find compares strings by the find collation', async () => {
      const found = await people()
        .find({ $expr: { $eq: ['$name', 'EMILE'] } }, { collation: strength1 })
        .toArray();
      expect(found).toHaveLength(2);
    });

    it('distinct counts documents whose strings the collation calls equal once', async () => {
      const coll = db.collection<AnyDoc>('addresses');
      await coll.insertMany([
        { a: { city: 'Köln' } },
        { a: { city: 'KÖLN' } },
        { a: { city: 'Bonn' } },
      ]);
      const values = await coll.distinct('a', {}, { collation: { locale: 'de', strength: 2 } });
      expect(values).toHaveLength(2);
      expect(await coll.distinct('a', {})).toHaveLength(3);
    });

    it("$lookup matches by the aggregation's collation, inherited from the local collection, ignoring the foreign default", async () => {
      await db.createCollection('orders_ci', { collation: { locale: 'en', strength: 2 } });
      await db.createCollection('items_fr', { collation: { locale: 'fr', strength: 1 } });
      const orders = db.collection<AnyDoc>('orders_ci');
      const items = db.collection<AnyDoc>('items_fr');
      await orders.insertOne({ _id: 'o1', sku: 'abc' });
      await items.insertMany([
        { _id: 'i1', sku: 'ABC' },
        { _id: 'i2', sku: 'abc' },
        { _id: 'i3', sku: 'ábc' },
        { _id: 'i4', sku: ['x', 'Abc'] },
      ]);
      const lookup = {
        $lookup: { from: 'items_fr', localField: 'sku', foreignField: 'sku', as: 'matched' },
      };
      const ids = (docs: AnyDoc[]): unknown[] =>
        (docs[0].matched as AnyDoc[]).map((d) => d._id).sort();
      expect(ids(await orders.aggregate<AnyDoc>([lookup]).toArray())).toEqual(['i1', 'i2', 'i4']);
      const explicit = await orders
        .aggregate<AnyDoc>([lookup], { collation: { locale: 'en', strength: 1 } })
        .toArray();
      expect(ids(explicit)).toEqual(['i1', 'i2', 'i3', 'i4']);
      const simple = await orders
        .aggregate<AnyDoc>([lookup], { collation: { locale: 'simple' } })
        .toArray();
      expect(ids(simple)).toEqual(['i2']);
      const withPipeline = await orders
        .aggregate<AnyDoc>([
          {
            $lookup: {
              from: 'items_fr',
              localField: 'sku',
              foreignField: 'sku',
              // Under strength 2 'abc' and ['x', 'Abc'] are not ≠ 'ABC' either.
              pipeline: [{ $match: { sku: { $ne: 'ABC' } } }],
              as: 'matched',
            },
          },
        ])
        .toArray();
      expect(ids(withPipeline)).toEqual([]);
      const subPipeline = await orders
        .aggregate<AnyDoc>([
          {
            $lookup: {
              from: 'items_fr',
              localField: 'sku',
              foreignField: 'sku',
              pipeline: [{ $match: { _id: { $ne: 'i1' } } }],
              as: 'matched',
            },
          },
        ])
        .toArray();
      expect(ids(subPipeline)).toEqual(['i2', 'i4']);
    });

    it('$graphLookup follows connections the collation calls equal, within maxDepth', async () => {
      const staff = db.collection<AnyDoc>('staff');
      await staff.insertMany([
        { _id: 'dev', name: 'Dev', reportsTo: 'ELIOT' },
        { _id: 'eliot', name: 'Eliot', reportsTo: 'ron' },
        { _id: 'ron', name: 'Ron', reportsTo: 'ANDREW' },
        { _id: 'andrew', name: 'Andrew' },
      ]);
      const chain = (maxDepth?: number) => ({
        $graphLookup: {
          from: 'staff',
          startWith: '$reportsTo',
          connectFromField: 'reportsTo',
          connectToField: 'name',
          as: 'chain',
          depthField: 'depth',
          ...(maxDepth === undefined ? {} : { maxDepth }),
        },
      });
      const run = async (stage: Document, collation?: { locale: string; strength: number }) => {
        const [dev] = await staff
          .aggregate<AnyDoc>([{ $match: { _id: 'dev' } }, stage], collation ? { collation } : {})
          .toArray();
        return (dev.chain as AnyDoc[])
          .map((d) => [d._id, d.depth] as [string, number])
          .sort((a, b) => a[1] - b[1]);
      };
      const collation = { locale: 'en', strength: 2 };
      expect(await run(chain(), collation)).toEqual([
        ['eliot', 0],
        ['ron', 1],
        ['andrew', 2],
      ]);
      expect(await run(chain(1), collation)).toEqual([
        ['eliot', 0],
        ['ron', 1],
      ]);
      expect(await run(chain())).toEqual([]);
    });

    it('$lookup from a view needs the view to have the aggregation collation (167 otherwise)', async () => {
      await db.createCollection('sku_view_ci', {
        viewOn: 'items_fr',
        pipeline: [],
        collation: { locale: 'en', strength: 2 },
      });
      const lookup = {
        $lookup: { from: 'sku_view_ci', localField: 'sku', foreignField: 'sku', as: 'matched' },
      };
      const [joined] = await db
        .collection<AnyDoc>('orders_ci')
        .aggregate<AnyDoc>([lookup])
        .toArray();
      expect(joined.matched).toHaveLength(3);
      const refused = await serverError(people().aggregate([lookup]).toArray());
      expect(refused.code).toBe(167);
    });
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
