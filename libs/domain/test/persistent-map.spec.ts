import { PersistentMap } from '@app/domain';

describe(PersistentMap.name, () => {
  it('returns a new version on set and leaves the older one as it was', () => {
    const empty = PersistentMap.empty<number>();
    const one = empty.set('a', 1);
    const two = one.set('b', 2).set('a', 3);
    expect([empty.has('a'), empty.size]).toEqual([false, 0]);
    expect([one.get('a'), one.get('b'), one.size]).toEqual([1, undefined, 1]);
    expect([two.get('a'), two.get('b'), two.size]).toEqual([3, 2, 2]);
  });

  it('keeps branches apart when an older version is changed again', () => {
    const base = PersistentMap.empty<string>().set('k', 'base');
    const left = base.set('l', 'left').set('k', 'left');
    const right = base.set('r', 'right');
    expect([...left.entries()]).toEqual([
      ['k', 'left'],
      ['l', 'left'],
    ]);
    expect([...right.entries()]).toEqual([
      ['k', 'base'],
      ['r', 'right'],
    ]);
    expect([...base.entries()]).toEqual([['k', 'base']]);
    // and each branch keeps growing on its own
    expect(left.set('x', '1').get('r')).toBeUndefined();
    expect(right.set('x', '2').get('l')).toBeUndefined();
    expect(right.set('x', '2').get('x')).toBe('2');
  });

  it('does not grow the size when a key is set again', () => {
    expect(PersistentMap.empty<number>().set('a', 1).set('a', 2).size).toBe(1);
  });

  it('serialises as the entries of its version only', () => {
    const one = PersistentMap.empty<number>().set('a', 1);
    one.set('b', 2);
    expect(JSON.stringify(one)).toBe('{"a":1}');
  });
});
