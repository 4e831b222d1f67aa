import { BSON, Decimal128, Double, Int32, Long, ObjectId } from 'bson';
import { compareValues, fromView, keyOf, toView } from './bson-values';

const decode = (doc: object): Record<string, unknown> =>
  BSON.deserialize(BSON.serialize(doc), { promoteValues: false });

describe('bson-values', () => {
  it('turns every BSON number into a JS number so numeric types compare equal', () => {
    const { doc } = toView(
      decode({
        i: new Int32(5),
        l: Long.fromNumber(5),
        d: new Double(5),
        m: Decimal128.fromString('5'),
      }),
    );
    expect([doc.i, doc.l, doc.d, doc.m]).toEqual([5, 5, 5, 5]);
    expect(new Set([doc.i, doc.l, doc.d, doc.m].map(keyOf)).size).toBe(1);
  });

  it('restores the original BSON number types, including nested and exact values', () => {
    const original = {
      i: new Int32(7),
      nested: { l: Long.fromString('9007199254740993'), list: [new Double(2), 2.5] },
      dec: Decimal128.fromString('0.10'),
    };
    const { doc, hints } = toView(decode(original));
    const bytes = BSON.serialize(fromView(doc, hints));
    expect(Buffer.from(bytes).equals(Buffer.from(BSON.serialize(original)))).toBe(true);
  });

  it('leaves documents without wide numbers untouched (no hints, same object back)', () => {
    const { doc, hints } = toView(decode({ a: 1, s: 'x' }));
    expect(hints).toBeUndefined();
    expect(fromView(doc, hints)).toBe(doc);
  });

  it('orders values by MongoDB canonical type order, then by value', () => {
    const oid = ObjectId.createFromTime(1);
    const values = [new Date(0), true, oid, [1], { a: 1 }, 'b', 'a', 10, 2, null];
    const sorted = [...values].sort(compareValues);
    expect(sorted).toEqual([null, 2, 10, 'a', 'b', { a: 1 }, [1], oid, true, new Date(0)]);
  });

  it('gives null and missing the same key and distinguishes strings from numbers', () => {
    expect(keyOf(null)).toBe(keyOf(undefined));
    expect(keyOf('5')).not.toBe(keyOf(5));
    expect(keyOf({ a: 1, b: 2 })).not.toBe(keyOf({ b: 2, a: 1 }));
  });
});
