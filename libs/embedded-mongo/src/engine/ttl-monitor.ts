import { collectPathValues } from '../bson/bson-values';
import { type Catalog, ChangeSet } from './catalog';

/**
 * Deletes documents whose TTL-indexed date is older than `expireAfterSeconds`, like mongod's TTL
 * monitor (which also runs about once a minute, so expiry is never exact).
 */
export function expireDocuments(catalog: Catalog, now = Date.now()): ChangeSet {
  const changes = new ChangeSet();
  for (const collections of catalog.databases.values()) {
    for (const store of collections.values()) {
      for (const index of store.indexes.values()) {
        const seconds = index.spec.expireAfterSeconds;
        if (seconds === undefined || index.fields.length !== 1) continue;
        const cutoff = now - seconds * 1000;
        const expired: string[] = [];
        for (const [id, record] of store.records) {
          const dates = collectPathValues(record.doc, index.fields[0])
            .flatMap((v) => (Array.isArray(v) ? v : [v]))
            .filter((v): v is Date => v instanceof Date);
          if (dates.length > 0 && Math.min(...dates.map((d) => d.getTime())) <= cutoff) {
            expired.push(id);
          }
        }
        for (const id of expired) catalog.delete(store, id, changes);
      }
    }
  }
  return changes;
}
