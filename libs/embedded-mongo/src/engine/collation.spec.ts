import { keyOf } from '../bson/bson-values';
import { parseCollation } from './collation';
import { CollectionStore } from './collection-store';

describe('CollationClasses', () => {
  const sample = [
    'Straße',
    'Strasse',
    'STRASSE',
    'strase',
    'caf\u00e9',
    'cafe\u0301',
    'CAFE',
    'cafe',
    'a1',
    'a01',
    'A001',
    'b',
    '',
    ...Array.from({ length: 300 }, (_, i) => `w${i % 150}${i % 2 ? 'X' : 'x'}`),
  ];

  it.each([
    [{ locale: 'de', strength: 1 }],
    [{ locale: 'en', strength: 2 }],
    [{ locale: 'fr' }],
    [{ locale: 'en', strength: 1, numericOrdering: true }],
    [{ locale: 'en', strength: 3, alternate: 'shifted' }],
  ])('two strings share a key exactly when the collator calls them equal (%j)', (spec) => {
    const collation = parseCollation(spec)!;
    const keys = sample.map((s) => collation.key(s));
    const disagreements: string[] = [];
    for (let i = 0; i < sample.length; i++) {
      for (let j = 0; j < sample.length; j++) {
        const equal = collation.compare(sample[i], sample[j]) === 0;
        if (equal !== (keys[i] === keys[j])) disagreements.push(`${sample[i]} / ${sample[j]}`);
      }
    }
    expect(disagreements).toEqual([]);
    // The sample does hold classes of more than one string.
    expect(new Set(keys).size).toBeLessThan(sample.length);
  });

  it('a lookup that registers nothing leaves no class behind and meets no other class', () => {
    const collation = parseCollation({ locale: 'de', strength: 1 })!;
    collation.key('Straße');
    expect(collation.key('STRASSE', false)).toBe('Straße');
    expect(collation.key('Weg', false)).toBe('Weg');
    expect(collation.classCount).toBe(1);
  });
});

describe('CollectionStore collation classes', () => {
  function insert(store: CollectionStore, id: number, email: string): void {
    const record = { doc: { _id: id, email }, hints: undefined };
    store.checkWrite(keyOf(id), record, true);
    store.put(keyOf(id), record);
  }

  it('start over after more removals than documents, so they stay near the live values; uniqueness holds across', () => {
    const store = new CollectionStore('db', 'users');
    store.addIndex({
      name: 'email_1',
      key: { email: 1 },
      unique: true,
      collation: { locale: 'en', strength: 2 },
    });
    const classes = () => store.indexes.get('email_1')!.collation!.classCount;
    let id = 0;
    for (let round = 0; round < 6; round++) {
      const ids: number[] = [];
      for (let i = 0; i < 5_000; i++) {
        ids.push(++id);
        insert(store, id, `user${id}@example.com`);
      }
      for (const gone of ids) store.delete(keyOf(gone));
    }
    // 30 000 distinct strings were indexed and removed; without renewal they would all stay.
    expect(classes()).toBeLessThanOrEqual(15_000);
    insert(store, ++id, 'Ann@Example.com');
    expect(() => insert(store, ++id, 'ann@example.COM')).toThrow(/E11000/);
  });

  it('the _id keys of a collection default collation start over too', () => {
    const store = new CollectionStore('db', 'codes', { collation: { locale: 'en', strength: 2 } });
    for (let i = 0; i < 25_000; i++) {
      const record = { doc: { _id: `Code-${i}` }, hints: undefined };
      store.checkWrite(keyOf(record.doc._id), record, true);
      store.put(keyOf(record.doc._id), record);
      store.delete(keyOf(record.doc._id));
    }
    expect(store.idClassCount).toBeLessThanOrEqual(12_500);
    const record = { doc: { _id: 'Ann' }, hints: undefined };
    store.checkWrite(keyOf('Ann'), record, true);
    store.put(keyOf('Ann'), record);
    const variant = { doc: { _id: 'ANN' }, hints: undefined };
    expect(() => store.checkWrite(keyOf('ANN'), variant, true)).toThrow(/E11000/);
    expect(store.find({ _id: 'aNN' }, () => true, undefined, 0, store.collation)).toHaveLength(1);
  });
});
