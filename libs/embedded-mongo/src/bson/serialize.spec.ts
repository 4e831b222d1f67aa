import { BSON } from 'bson';
import { serializeDocument, serializeWithArray } from './serialize';

const MiB = 1024 * 1024;

/** Leaves the shared buffer full of other bytes, which a truncated string would otherwise come back with. */
function dirtySharedBuffer(): void {
  BSON.serialize({ junk: 'q'.repeat(16 * MiB) });
}

describe('serializeDocument', () => {
  it.each([
    ['a string that ends just past 17 MiB', { _id: 'a', s: 'x'.repeat(17 * MiB) }],
    ['a string well past 17 MiB', { _id: 'b', s: 'y'.repeat(20 * MiB) }],
    [
      'documents adding up past 17 MiB',
      { d: Array.from({ length: 20 }, () => ({ s: 'z'.repeat(MiB) })) },
    ],
  ])('refuses %s instead of returning it damaged', (_name, doc) => {
    dirtySharedBuffer();
    expect(() => serializeDocument(doc)).toThrow(/out of range|BSON document of at least/);
  });

  it('serializes a document just below 16 MiB and leaves undefined fields out', () => {
    const doc = { _id: 'c', s: 'w'.repeat(16 * MiB - 100), gone: undefined };
    expect(BSON.deserialize(serializeDocument(doc))).toEqual({ _id: 'c', s: doc.s });
  });
});

describe('serializeWithArray', () => {
  it('assembles a record far beyond 17 MiB from items that each fit', () => {
    dirtySharedBuffer();
    const items = Array.from({ length: 5 }, (_, i) => ({ _id: i, s: String(i).repeat(8 * MiB) }));
    const bytes = serializeWithArray({ kind: 'docs', d: 'crm', c: 'profiles' }, 'docs', items);
    expect(bytes.readInt32LE(0)).toBe(bytes.length);
    expect(BSON.deserialize(bytes)).toEqual({ kind: 'docs', d: 'crm', c: 'profiles', docs: items });
  });

  it('gives the same bytes as one serialize call for what fits in one', () => {
    const items = [{ a: 1 }, { b: 'two', c: [3] }];
    expect(serializeWithArray({ x: 'é' }, 'items', items)).toEqual(
      Buffer.from(BSON.serialize({ x: 'é', items })),
    );
    expect(serializeWithArray({}, 'ops', [])).toEqual(Buffer.from(BSON.serialize({ ops: [] })));
  });
});
