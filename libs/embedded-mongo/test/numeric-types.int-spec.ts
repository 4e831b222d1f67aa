import {
  type Collection,
  type Db,
  Decimal128,
  Double,
  Int32,
  Long,
  type MongoClient,
  type MongoServerError,
  type Sort,
} from 'mongodb';
import { type AnyDoc, closeTestDatabase, openTestDatabase } from './test-database';

const dec = (text: string): Decimal128 => Decimal128.fromString(text);
const ONE_AND_A_BIT = '1.0000000000000000001';
const WIDE = '9007199254740993'; // 2^53 + 1: no double holds it

describe('embedded-mongo: numbers compare, sort and type-check as in MongoDB', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('numeric');
    db = handle.db;
  });
  afterAll(async () => closeTestDatabase(handle));

  const ids = async (c: Collection<AnyDoc>, filter: object, sort: Sort = { _id: 1 }) =>
    (await c.find(filter).sort(sort).toArray()).map((d) => d._id);

  describe('Decimal128 precision', () => {
    let c: Collection<AnyDoc>;
    beforeAll(async () => {
      c = db.collection<AnyDoc>('decimal_precision');
      await c.insertMany([
        { _id: 'one', v: dec('1') },
        { _id: 'oneBit', v: dec(ONE_AND_A_BIT) },
        { _id: 'double', v: new Double(1) },
        { _id: 'below', v: dec('0.9999999999999999999') },
        { _id: 'tenth', v: dec('0.1') },
        { _id: 'doubleTenth', v: 0.1 },
      ]);
    });

    it('keeps decimals that differ beyond 15 digits apart in equality', async () => {
      expect(await ids(c, { v: dec('1') })).toEqual(['double', 'one']);
      expect(await ids(c, { v: dec(ONE_AND_A_BIT) })).toEqual(['oneBit']);
      expect(await ids(c, { v: 1 })).toEqual(['double', 'one']);
      expect(await ids(c, { v: { $eq: dec('1.000') } })).toEqual(['double', 'one']);
      expect(await ids(c, { v: { $ne: dec('1') } })).toEqual([
        'below',
        'doubleTenth',
        'oneBit',
        'tenth',
      ]);
    });

    it('does not equate Decimal128 0.1 with the Double 0.1, which is not exactly 0.1', async () => {
      expect(await ids(c, { v: 0.1 })).toEqual(['doubleTenth']);
      expect(await ids(c, { v: dec('0.1') })).toEqual(['tenth']);
      expect(await ids(c, { v: { $gt: dec('0.1'), $lt: 0.5 } })).toEqual(['doubleTenth']);
    });

    it('answers range queries exactly', async () => {
      expect(await ids(c, { v: { $gt: dec('1') } })).toEqual(['oneBit']);
      expect(await ids(c, { v: { $gt: 1 } })).toEqual(['oneBit']);
      expect(await ids(c, { v: { $gte: 1 } })).toEqual(['double', 'one', 'oneBit']);
      expect(await ids(c, { v: { $lt: dec(ONE_AND_A_BIT), $gt: 0.5 } })).toEqual([
        'below',
        'double',
        'one',
      ]);
      expect(await ids(c, { v: { $lte: dec('0.9999999999999999999'), $gt: 0.5 } })).toEqual([
        'below',
      ]);
    });

    it('matches $in and $nin exactly', async () => {
      expect(await ids(c, { v: { $in: [dec(ONE_AND_A_BIT), 'x', dec('0.1')] } })).toEqual([
        'oneBit',
        'tenth',
      ]);
      expect(await ids(c, { v: { $nin: [1, 0.1, dec('0.1')] } })).toEqual(['below', 'oneBit']);
    });

    it('sorts in find and aggregate by exact value', async () => {
      const order = ['tenth', 'doubleTenth', 'below', 'double', 'one', 'oneBit'];
      const sorted = await ids(c, {}, { v: 1, _id: 1 });
      // Decimal 1 and Double 1 are equal, so _id breaks the tie.
      expect(sorted).toEqual(order);
      expect(await ids(c, {}, { v: -1, _id: 1 })).toEqual([
        'oneBit',
        'double',
        'one',
        'below',
        'doubleTenth',
        'tenth',
      ]);
      const aggregated = await c.aggregate([{ $sort: { v: 1, _id: 1 } }]).toArray();
      expect(aggregated.map((d) => d._id)).toEqual(order);
    });

    it('returns the stored decimals digit for digit', async () => {
      const raw = await c.findOne({ _id: 'oneBit' });
      expect((raw?.v as Decimal128).toString()).toBe(ONE_AND_A_BIT);
      const tenth = await c.findOne({ _id: 'tenth' });
      expect((tenth?.v as Decimal128).toString()).toBe('0.1');
    });
  });

  it('treats decimals differing beyond 15 digits as distinct unique-index keys', async () => {
    const c = db.collection<AnyDoc>('decimal_unique');
    await c.createIndex({ v: 1 }, { unique: true });
    await c.insertOne({ _id: 1, v: dec('1') });
    await c.insertOne({ _id: 2, v: dec(ONE_AND_A_BIT) });
    await c.insertOne({ _id: 3, v: dec('0.1') });
    await c.insertOne({ _id: 4, v: 0.1 });
    for (const same of [new Double(1), dec('1.00'), Long.fromNumber(1)]) {
      const error = await c.insertOne({ _id: 9, v: same }).catch((e: unknown) => e);
      expect((error as MongoServerError).code).toBe(11000);
    }
    expect(await c.countDocuments({ v: { $gt: dec('1') } })).toBe(1);
    expect(await ids(c, { v: { $gte: 0.1, $lte: 1 } })).toEqual([1, 4]);
  });

  describe('Longs beyond 2^53', () => {
    it('compare exactly in range queries, with and without an index', async () => {
      for (const indexed of [false, true]) {
        const c = db.collection<AnyDoc>(indexed ? 'wide_long_indexed' : 'wide_long');
        if (indexed) await c.createIndex({ v: 1 });
        await c.insertMany([
          { _id: 'wide', v: Long.fromString(WIDE) },
          { _id: 'double', v: 9007199254740992 },
          { _id: 'next', v: 9007199254740994 },
        ]);
        expect(await ids(c, { v: { $gt: 9007199254740992 } })).toEqual(['next', 'wide']);
        expect(await ids(c, { v: { $lt: Long.fromString('9007199254740994') } })).toEqual([
          'double',
          'wide',
        ]);
        expect(await ids(c, { v: { $gte: Long.fromString(WIDE), $lt: 9007199254740994 } })).toEqual(
          ['wide'],
        );
        expect(await ids(c, { v: { $in: [dec(WIDE)] } })).toEqual(['wide']);
        expect(await ids(c, {}, { v: -1 })).toEqual(['next', 'wide', 'double']);
      }
    });
  });

  it('keys a Double beyond 2^53 by its exact value, apart from a nearby Long', async () => {
    // 2^62 prints as 4611686018427388000 in JS, which is a different Long.
    const c = db.collection<AnyDoc>('wide_double_keys');
    await c.createIndex({ v: 1 }, { unique: true });
    await c.insertOne({ _id: 'double', v: 2 ** 62 });
    await c.insertOne({ _id: 'long', v: Long.fromString('4611686018427388000') });
    expect(await ids(c, { v: 2 ** 62 })).toEqual(['double']);
    expect(await ids(c, { v: Long.fromString('4611686018427387904') })).toEqual(['double']);
    const dup = await c
      .insertOne({ _id: 'again', v: Long.fromString('4611686018427387904') })
      .catch((e: unknown) => e);
    expect((dup as MongoServerError).code).toBe(11000);
  });

  describe('$type on numbers', () => {
    let c: Collection<AnyDoc>;
    beforeAll(async () => {
      c = db.collection<AnyDoc>('number_types');
      await c.insertMany([
        { _id: 'int', v: new Int32(5) },
        { _id: 'long', v: Long.fromNumber(5) },
        { _id: 'wideLong', v: Long.fromString(WIDE) },
        { _id: 'double', v: new Double(5) },
        { _id: 'fraction', v: 2.5 },
        { _id: 'decimal', v: dec('5') },
        { _id: 'inexactDecimal', v: dec('0.1') },
        { _id: 'string', v: '5' },
        { _id: 'nested', v: { w: Long.fromNumber(1) }, list: [new Int32(1), Long.fromNumber(2)] },
      ]);
    });

    it('tells int, long, double and decimal apart by alias', async () => {
      expect(await ids(c, { v: { $type: 'int' } })).toEqual(['int']);
      expect(await ids(c, { v: { $type: 'long' } })).toEqual(['long', 'wideLong']);
      expect(await ids(c, { v: { $type: 'double' } })).toEqual(['double', 'fraction']);
      expect(await ids(c, { v: { $type: 'decimal' } })).toEqual(['decimal', 'inexactDecimal']);
    });

    it('tells them apart by numeric code (1 double, 16 int, 18 long, 19 decimal)', async () => {
      expect(await ids(c, { v: { $type: 16 } })).toEqual(['int']);
      expect(await ids(c, { v: { $type: 18 } })).toEqual(['long', 'wideLong']);
      expect(await ids(c, { v: { $type: 1 } })).toEqual(['double', 'fraction']);
      expect(await ids(c, { v: { $type: 19 } })).toEqual(['decimal', 'inexactDecimal']);
    });

    it("matches all four with 'number' and accepts a list of types", async () => {
      expect(await ids(c, { v: { $type: 'number' } })).toEqual([
        'decimal',
        'double',
        'fraction',
        'inexactDecimal',
        'int',
        'long',
        'wideLong',
      ]);
      expect(await ids(c, { v: { $type: ['int', 'string'] } })).toEqual(['int', 'string']);
      expect(await ids(c, { v: { $not: { $type: 'number' } } })).toEqual(['nested', 'string']);
    });

    it('looks into nested fields and array elements', async () => {
      expect(await ids(c, { 'v.w': { $type: 'long' } })).toEqual(['nested']);
      expect(await ids(c, { list: { $type: 'long' } })).toEqual(['nested']);
      expect(await ids(c, { list: { $type: 'double' } })).toEqual([]);
    });

    it('applies in an aggregation $match and keeps the type through updates', async () => {
      const matched = await c
        .aggregate([{ $match: { v: { $type: 'long' } } }, { $sort: { _id: 1 } }])
        .toArray();
      expect(matched.map((d) => d._id)).toEqual(['long', 'wideLong']);
      await c.updateOne({ _id: 'int' }, { $set: { v: Long.fromNumber(7) } });
      expect(await ids(c, { v: { $type: 'long' } })).toEqual(['int', 'long', 'wideLong']);
      await c.updateOne({ _id: 'int' }, { $set: { v: new Int32(5) } });
      expect(await ids(c, { v: { $type: 'int' } })).toEqual(['int']);
    });
  });

  describe('arithmetic types', () => {
    const typeOf = async (c: Collection<AnyDoc>, id: number): Promise<[string, string]> => {
      const raw = await c.findOne({ _id: id }, { promoteValues: false });
      const v = raw?.v as { _bsontype: string; toString(): string };
      return [v._bsontype, v.toString()];
    };

    it('keeps $inc and $mul on Decimal128 exact', async () => {
      const c = db.collection<AnyDoc>('decimal_arithmetic');
      await c.insertMany([
        { _id: 1, v: dec('0.1') },
        { _id: 2, v: dec('0.1') },
        { _id: 3, v: dec(ONE_AND_A_BIT) },
        { _id: 4, v: dec('1.5') },
        { _id: 5, v: new Int32(2) },
      ]);
      await c.updateOne({ _id: 1 }, { $inc: { v: dec('0.2') } });
      await c.updateOne({ _id: 2 }, { $inc: { v: new Int32(1) } });
      await c.updateOne({ _id: 3 }, { $inc: { v: dec('1E-19') } });
      await c.updateOne({ _id: 4 }, { $mul: { v: new Int32(2) } });
      await c.updateOne({ _id: 5 }, { $inc: { v: dec('0.25') } });
      expect(await typeOf(c, 1)).toEqual(['Decimal128', '0.3']);
      expect(await typeOf(c, 2)).toEqual(['Decimal128', '1.1']);
      expect(await typeOf(c, 3)).toEqual(['Decimal128', '1.0000000000000000002']);
      expect(await typeOf(c, 4)).toEqual(['Decimal128', '3.0']);
      expect(await typeOf(c, 5)).toEqual(['Decimal128', '2.25']);
      expect(await ids(c, { v: dec('0.3') })).toEqual([1]);
    });

    it('gives $inc the wider type: Long + Int32 is a Long, Long + Double a Double, Int32 overflow a Long', async () => {
      const c = db.collection<AnyDoc>('integer_arithmetic');
      await c.insertMany([
        { _id: 1, v: Long.fromNumber(5) },
        { _id: 2, v: Long.fromNumber(5) },
        { _id: 3, v: Long.fromNumber(5) },
        { _id: 4, v: new Int32(2147483647) },
        { _id: 5, v: new Int32(1) },
        { _id: 6, v: new Int32(1) },
      ]);
      await c.updateOne({ _id: 1 }, { $inc: { v: new Int32(1) } });
      await c.updateOne({ _id: 2 }, { $inc: { v: new Double(1) } });
      await c.updateOne({ _id: 3 }, { $inc: { v: 0.5 } });
      await c.updateOne({ _id: 4 }, { $inc: { v: new Int32(1) } });
      await c.updateOne({ _id: 5 }, { $inc: { v: Long.fromNumber(1) } });
      await c.updateOne({ _id: 6 }, { $mul: { v: new Double(3) } });
      await c.updateOne({ _id: 7 }, { $inc: { v: Long.fromNumber(3) } }, { upsert: true });
      expect(await typeOf(c, 1)).toEqual(['Long', '6']);
      expect(await typeOf(c, 2)).toEqual(['Double', '6']);
      expect(await typeOf(c, 3)).toEqual(['Double', '5.5']);
      expect(await typeOf(c, 4)).toEqual(['Long', '2147483648']);
      expect(await typeOf(c, 5)).toEqual(['Long', '2']);
      expect(await typeOf(c, 6)).toEqual(['Double', '3']);
      expect(await typeOf(c, 7)).toEqual(['Long', '3']);
    });

    it('orders $min / $max updates and $group accumulators exactly', async () => {
      const c = db.collection<AnyDoc>('min_max_numbers');
      await c.insertMany([
        { _id: 1, g: 'a', v: dec('1') },
        { _id: 2, g: 'a', v: dec(ONE_AND_A_BIT) },
        { _id: 3, g: 'a', v: 0.5 },
        { _id: 4, g: 'b', v: new Int32(3) },
      ]);
      await c.updateOne({ _id: 1 }, { $max: { v: dec(ONE_AND_A_BIT) } });
      await c.updateOne({ _id: 3 }, { $min: { v: dec('0.1') } });
      await c.updateOne({ _id: 4 }, { $max: { v: Long.fromNumber(4) }, $min: { w: new Int32(2) } });
      expect(await typeOf(c, 1)).toEqual(['Decimal128', ONE_AND_A_BIT]);
      expect(await typeOf(c, 3)).toEqual(['Decimal128', '0.1']);
      expect(await typeOf(c, 4)).toEqual(['Long', '4']);
      expect((await c.findOne({ _id: 4 }))?.w).toBe(2);
      await c.updateOne({ _id: 2 }, { $set: { v: dec('1.00000000000000000005') } });
      const grouped = await c
        .aggregate([
          { $group: { _id: '$g', lo: { $min: '$v' }, hi: { $max: '$v' } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(grouped.map((d) => [d._id, String(d.lo), String(d.hi)])).toEqual([
        ['a', '0.1', ONE_AND_A_BIT],
        ['b', '4', '4'],
      ]);
    });

    it('types $sum as mongod: Int32 stays Int32, Longs make a Long, Decimal128 stays exact', async () => {
      const c = db.collection<AnyDoc>('sum_types');
      await c.insertMany([
        { _id: 1, g: 'long', v: Long.fromNumber(5) },
        { _id: 2, g: 'long', v: new Int32(1) },
        { _id: 3, g: 'overflow', v: new Int32(2147483647) },
        { _id: 4, g: 'overflow', v: new Int32(1) },
        { _id: 5, g: 'decimal', v: dec('0.1') },
        { _id: 6, g: 'decimal', v: dec('0.2') },
        { _id: 7, g: 'decimal', v: new Int32(1) },
        { _id: 8, g: 'wide', v: Long.fromString(WIDE) },
        { _id: 9, g: 'wide', v: Long.fromNumber(1) },
        { _id: 10, g: 'int', v: new Int32(1) },
        { _id: 11, g: 'int', v: new Int32(2) },
        { _id: 12, g: 'double', v: new Int32(1) },
        { _id: 13, g: 'double', v: 0.5 },
      ]);
      const sums = await c
        .aggregate([{ $group: { _id: '$g', s: { $sum: '$v' } } }, { $sort: { _id: 1 } }], {
          promoteValues: false,
        })
        .toArray();
      const described = sums.map((d) => {
        const s = d.s as { _bsontype: string; toString(): string };
        return [d._id, s._bsontype, s.toString()];
      });
      expect(described).toEqual([
        ['decimal', 'Decimal128', '1.3'],
        ['double', 'Double', '1.5'],
        ['int', 'Int32', '3'],
        ['long', 'Long', '6'],
        ['overflow', 'Long', '2147483648'],
        ['wide', 'Long', '9007199254740994'],
      ]);
    });

    it('compares exactly and names number types in aggregation expressions', async () => {
      const c = db.collection<AnyDoc>('expression_numbers');
      await c.insertMany([
        { _id: 1, v: dec(ONE_AND_A_BIT) },
        { _id: 2, v: dec('1') },
        { _id: 3, v: Long.fromString(WIDE) },
        { _id: 4, v: 0.1 },
      ]);
      expect(await ids(c, { $expr: { $gt: ['$v', 1] } })).toEqual([1, 3]);
      expect(await ids(c, { $expr: { $eq: ['$v', dec('1')] } })).toEqual([2]);
      const typed = await c
        .aggregate([
          { $project: { t: { $type: '$v' }, c: { $cmp: ['$v', dec('0.1')] } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(typed.map((d) => [d.t, d.c])).toEqual([
        ['decimal', 1],
        ['decimal', 1],
        ['long', 1],
        ['double', 1],
      ]);
    });
  });
});
