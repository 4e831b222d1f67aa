import { isDeepStrictEqual } from 'node:util';
import { PersistentMap, TimeSeries } from '@app/domain';
import { decodeSnapshotValue, encodeSnapshotValue } from './as-of-snapshot.codec';

const roundTrip = <T>(value: T): T => decodeSnapshotValue<T>(encodeSnapshotValue(value));

describe('as-of snapshot codec', () => {
  it('reads back exactly what BSON would change: undefined beside missing, -0, NaN, Dates, Maps and Sets', () => {
    const value = {
      present: undefined,
      negativeZero: -0,
      notANumber: NaN,
      large: 2 ** 53 - 1,
      fraction: 0.1 + 0.2,
      at: new Date('2026-02-01T10:00:00.123Z'),
      map: new Map<string, unknown>([
        ['b', 1],
        ['a', { nested: [1, undefined, 3] }],
      ]),
      set: new Set(['x', 'y']),
      keysInOrder: { z: 1, a: 2, m: 3 },
    };
    const back = roundTrip(value);
    expect(isDeepStrictEqual(back, value)).toBe(true);
    expect('present' in back).toBe(true);
    expect(Object.is(back.negativeZero, -0)).toBe(true);
    expect(back.at).toBeInstanceOf(Date);
    expect([...back.map.keys()]).toEqual(['b', 'a']);
    expect(Object.keys(back.keysInOrder)).toEqual(['z', 'a', 'm']);
  });

  it('reads back a PersistentMap as the version it was, not the writes later versions share with it', () => {
    const older = PersistentMap.empty<{ paid: number }>().set('o1', { paid: 10 });
    const newer = older.set('o2', { paid: 20 }).set('o1', { paid: 5 });
    const back = roundTrip({ older, newer });
    expect(back.older).toBeInstanceOf(PersistentMap);
    expect([...back.older.entries()]).toEqual([['o1', { paid: 10 }]]);
    expect([...back.newer.entries()]).toEqual([...newer.entries()]);
    expect(back.newer.size).toBe(2);
    // Still a working persistent map: a write to the copy leaves the original untouched.
    expect(back.newer.set('o3', { paid: 1 }).size).toBe(3);
    expect(newer.has('o3')).toBe(false);
  });

  it('reads back a TimeSeries with its entries in arrival order, back-dated ones included', () => {
    const series = TimeSeries.empty(2).add(30, [3, 0.3]).add(10, [1, 0.1]).add(20, [2, 0.2]);
    const back = roundTrip(series);
    expect(back).toBeInstanceOf(TimeSeries);
    expect(back.arrivals()).toEqual(series.arrivals());
    expect(back.sumIn(10, 30)).toEqual(series.sumIn(10, 30));
  });

  it('keeps shared references shared, and a plain object using the marker key a plain object', () => {
    const shared = { sealed: 'v1:abc', path: 'name' };
    const value = { a: shared, b: shared, odd: { __asOfCodec: 'PersistentMap', entries: [] } };
    const back = roundTrip(value);
    expect(back.a).toBe(back.b);
    expect(back.odd).toEqual({ __asOfCodec: 'PersistentMap', entries: [] });
    expect(back.odd).not.toBeInstanceOf(PersistentMap);
  });

  it('refuses a value it could not read back as it was', () => {
    class Money {
      constructor(readonly amount: number) {}
    }
    expect(() => encodeSnapshotValue({ price: new Money(1) })).toThrow(/cannot hold a Money/);
    expect(() => encodeSnapshotValue({ run: () => 1 })).toThrow(/cannot hold a function/);
    expect(() => encodeSnapshotValue(Object.create(null))).toThrow(/prototype-less/);
  });
});
