import { BSON, type Document } from 'bson';
import { fromView, keyOf, toView } from '../bson/bson-values';
import { serializeWithArray } from '../bson/serialize';
import { decodeOptions } from '../wire/wire-protocol';
import { type IndexSpec } from './collection-index';
import { CollectionStore, type StoredDoc } from './collection-store';

/** A physical change, journaled as the server applies it; replaying one twice is harmless. */
export type ChangeOp =
  | { o: 'create'; d: string; c: string; options: Document }
  | { o: 'options'; d: string; c: string; options: Document }
  | { o: 'put'; d: string; c: string; doc: Document }
  | { o: 'del'; d: string; c: string; id: unknown }
  | { o: 'drop'; d: string; c: string }
  | { o: 'dropDb'; d: string }
  | { o: 'rename'; d: string; c: string; td: string; tc: string }
  | { o: 'index'; d: string; c: string; spec: IndexSpec }
  | { o: 'dropIndex'; d: string; c: string; name: string };

/** Collects the changes of one command so they reach the journal as a single record. */
export class ChangeSet {
  readonly ops: ChangeOp[] = [];
}

/** All databases and collections in memory. */
export class Catalog {
  readonly databases = new Map<string, Map<string, CollectionStore>>();
  /** Whether a view was ever defined: until then no command needs to ask if its target is one. */
  hasViews = false;

  get(db: string, name: string): CollectionStore | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** Returns the collection, creating it (and recording the creation) when absent. */
  ensure(
    db: string,
    name: string,
    changes: ChangeSet | undefined,
    options: Document = {},
  ): CollectionStore {
    const existing = this.get(db, name);
    if (existing) return existing;
    let collections = this.databases.get(db);
    if (!collections) {
      collections = new Map();
      this.databases.set(db, collections);
    }
    const store = new CollectionStore(db, name, options);
    if (store.view) this.hasViews = true;
    collections.set(name, store);
    changes?.ops.push({ o: 'create', d: db, c: name, options });
    return store;
  }

  put(
    store: CollectionStore,
    idKey: string,
    record: StoredDoc,
    changes: ChangeSet | undefined,
  ): void {
    store.put(idKey, record);
    changes?.ops.push({
      o: 'put',
      d: store.db,
      c: store.name,
      doc: fromView(record.doc, record.hints),
    });
    if (!store.capped) return;
    for (const oldest of store.overCapacity()) {
      store.evictedUpTo = Math.max(store.evictedUpTo, store.get(oldest)?.rid ?? 0);
      this.delete(store, oldest, changes);
    }
    store.notifyTails();
  }

  delete(store: CollectionStore, idKey: string, changes: ChangeSet | undefined): void {
    const record = store.get(idKey);
    if (!record || !store.delete(idKey)) return;
    changes?.ops.push({ o: 'del', d: store.db, c: store.name, id: record.doc._id });
  }

  drop(db: string, name: string, changes: ChangeSet | undefined): boolean {
    const collections = this.databases.get(db);
    const store = collections?.get(name);
    if (!store || !collections?.delete(name)) return false;
    store.notifyTails();
    if (collections.size === 0) this.databases.delete(db);
    changes?.ops.push({ o: 'drop', d: db, c: name });
    return true;
  }

  dropDatabase(db: string, changes: ChangeSet | undefined): void {
    this.databases.delete(db);
    changes?.ops.push({ o: 'dropDb', d: db });
  }

  rename(store: CollectionStore, td: string, tc: string, changes: ChangeSet | undefined): void {
    const { db, name } = store;
    this.drop(td, tc, undefined);
    this.drop(db, name, undefined);
    store.db = td;
    store.name = tc;
    // Index error messages name the namespace, so the indexes are rebuilt under the new one.
    const specs = [...store.indexes.values()].map((index) => index.spec);
    store.indexes.clear();
    for (const spec of specs) store.addIndexUnchecked(spec);
    let collections = this.databases.get(td);
    if (!collections) {
      collections = new Map();
      this.databases.set(td, collections);
    }
    collections.set(tc, store);
    changes?.ops.push({ o: 'rename', d: db, c: name, td, tc });
  }

  /** collMod: new options (validator, view definition, capped limits) for an existing collection. */
  setOptions(store: CollectionStore, options: Document, changes: ChangeSet | undefined): void {
    store.setOptions(options);
    if (store.view) this.hasViews = true;
    changes?.ops.push({ o: 'options', d: store.db, c: store.name, options });
  }

  createIndex(store: CollectionStore, spec: IndexSpec, changes: ChangeSet | undefined): void {
    store.addIndex(spec);
    changes?.ops.push({ o: 'index', d: store.db, c: store.name, spec });
  }

  dropIndex(store: CollectionStore, name: string, changes: ChangeSet | undefined): void {
    store.indexes.delete(name);
    changes?.ops.push({ o: 'dropIndex', d: store.db, c: store.name, name });
  }

  /** Re-applies a journaled change during recovery, without constraint checks. */
  replay(op: ChangeOp): void {
    switch (op.o) {
      case 'create':
        this.ensure(op.d, op.c, undefined, op.options);
        return;
      case 'put': {
        const stored = toView(op.doc);
        this.ensure(op.d, op.c, undefined).put(keyOf(stored.doc._id), stored);
        return;
      }
      case 'del':
        this.get(op.d, op.c)?.delete(keyOf(op.id));
        return;
      case 'drop':
        this.drop(op.d, op.c, undefined);
        return;
      case 'dropDb':
        this.dropDatabase(op.d, undefined);
        return;
      case 'rename': {
        // The original rename succeeded, so whatever sits at the target now was dropped by it.
        const store = this.get(op.d, op.c);
        if (store) this.rename(store, op.td, op.tc, undefined);
        return;
      }
      case 'index': {
        const store = this.ensure(op.d, op.c, undefined);
        store.indexes.delete(op.spec.name);
        store.addIndexUnchecked(op.spec);
        return;
      }
      case 'dropIndex':
        this.get(op.d, op.c)?.indexes.delete(op.name);
        return;
      case 'options':
        this.get(op.d, op.c)?.setOptions(op.options);
        return;
    }
  }
}

/** `{ ops: [...] }`, one journal record, which one command's changes (an `$out`, a 48 MB insert) can make huge. */
export function encodeChanges(ops: ChangeOp[]): Uint8Array {
  return serializeWithArray({}, 'ops', ops);
}

export function decodeChanges(payload: Uint8Array): ChangeOp[] {
  const record = BSON.deserialize(payload, decodeOptions);
  return (record.ops as Document[]).map((op) => normalizeOp(op));
}

/** Journal records are decoded without promotion; metadata fields are read back as plain values. */
function normalizeOp(op: Document): ChangeOp {
  if (op.o === 'put') return op as ChangeOp;
  if (op.o === 'del') {
    const holder = toView({ id: op.id as unknown });
    return { ...(op as ChangeOp & { o: 'del' }), id: holder.doc.id };
  }
  if (op.o === 'index' || op.o === 'create' || op.o === 'options') {
    const copy = { ...op };
    toView(copy);
    return copy as ChangeOp;
  }
  return op as ChangeOp;
}
