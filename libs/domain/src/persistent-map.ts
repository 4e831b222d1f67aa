interface Store<V> {
  /** Every value each key has held, stamped with the write that set it. */
  readonly history: Map<string, { write: number; value: V }[]>;
  writes: number;
}

/**
 * An immutable map whose `set` is O(1) when applied to the newest version, which is how `fold`
 * uses it. Copying a Set per event made loading a customer with n touchpoints cost O(n²).
 * Versions share one store; each version sees only the writes made before it existed, and a
 * `set` on an older version copies what that version sees, so every version stays unchanged.
 */
export class PersistentMap<V> {
  private constructor(
    private readonly store: Store<V>,
    private readonly writes: number,
    readonly size: number,
  ) {}

  static empty<V>(): PersistentMap<V> {
    return new PersistentMap<V>({ history: new Map(), writes: 0 }, 0, 0);
  }

  get(key: string): V | undefined {
    const entries = this.store.history.get(key);
    if (!entries) return undefined;
    for (let index = entries.length - 1; index >= 0; index--) {
      if (entries[index].write < this.writes) return entries[index].value;
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): PersistentMap<V> {
    const store = this.store.writes === this.writes ? this.store : this.copyVisible();
    const size = this.has(key) ? this.size : this.size + 1;
    const entries = store.history.get(key);
    const entry = { write: store.writes, value };
    if (entries) entries.push(entry);
    else store.history.set(key, [entry]);
    store.writes += 1;
    return new PersistentMap(store, store.writes, size);
  }

  *entries(): IterableIterator<[string, V]> {
    for (const key of this.store.history.keys()) {
      const value = this.get(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** What this version holds, so logs and snapshots show contents rather than shared internals. */
  toJSON(): Record<string, V> {
    return Object.fromEntries(this.entries());
  }

  private copyVisible(): Store<V> {
    const history = new Map<string, { write: number; value: V }[]>();
    let writes = 0;
    for (const [key, value] of this.entries()) {
      history.set(key, [{ write: writes, value }]);
      writes += 1;
    }
    return { history, writes };
  }
}
