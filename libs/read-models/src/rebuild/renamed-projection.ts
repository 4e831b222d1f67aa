import type { CollectionOptions, Db, Document } from 'mongodb';
import type { BufferedProjection, Projection } from '../projection/projection';

/**
 * The same projection writing beside itself: each collection it declares in `collections` becomes
 * `<collection><suffix>`, under the name `<name><suffix>`. Projections reach their documents only through
 * `db.collection(<declared name>)`, so the renaming is a property of the handle they are given, not of each
 * projection: the projection code that runs live is the code that rebuilds and verifies.
 */
export function renamedProjection(projection: Projection, suffix: string): Projection {
  const names = new Map(projection.collections.map((name) => [name, `${name}${suffix}`]));
  const mapped = (db: Db) => withCollectionNames(db, names);
  return {
    name: `${projection.name}${suffix}`,
    collections: projection.collections.map((name) => names.get(name)!),
    setup: (db) => projection.setup(mapped(db)),
    apply: (db, events) => projection.apply(mapped(db), events),
    buffered: projection.buffered && (() => renamedBuffer(projection.buffered!(), mapped)),
  };
}

function renamedBuffer(buffer: BufferedProjection, mapped: (db: Db) => Db): BufferedProjection {
  return {
    get pending() {
      return buffer.pending;
    },
    apply: (db, events) => buffer.apply(mapped(db), events),
    flush: (db) => buffer.flush(mapped(db)),
  };
}

/**
 * A view of `db` whose `collection(name)` opens the mapped name; everything else is the database itself (the view
 * inherits from it, so its own settings, write concern included, apply).
 */
export function withCollectionNames(db: Db, names: ReadonlyMap<string, string>): Db {
  const view = Object.create(db) as Db;
  view.collection = <T extends Document = Document>(name: string, options?: CollectionOptions) =>
    db.collection<T>(names.get(name) ?? name, options);
  return view;
}
