import { randomUUID } from 'node:crypto';
import type { Db, Document } from 'mongodb';
import { checkpointsCollection, positionOf } from '../projection/checkpoints';
import {
  type EventPosition,
  type ProjectedEvent,
  type Projection,
  storedPosition,
} from '../projection/projection';
import { applyInBatches, dropAll, type RebuildSource } from './projection-rebuild';
import { renamedProjection } from './renamed-projection';

/** One document that differs between the live read model and the events folded again. */
export interface DocumentDifference {
  collection: string;
  id: string;
  /** Dotted path of the first field that differs; '' when the document is missing on one side. */
  path: string;
  live: unknown;
  rebuilt: unknown;
}

export interface CollectionComparison {
  collection: string;
  /** Documents compared (both sides at or before the compared position). */
  compared: number;
  /** Live documents changed by events after the compared position: left out. */
  newer: number;
  differing: number;
}

export interface VerifyReport {
  projection: string;
  /** The live checkpoint the scratch copy was built up to (commit position), null when the live one has none. */
  position: string | null;
  events: number;
  collections: CollectionComparison[];
  /** The first differences found (at most `limit`). */
  differences: DocumentDifference[];
  ok: boolean;
}

export interface VerifyOptions {
  db: Db;
  projection: Projection;
  source: RebuildSource;
  /** Differences to report (default 10); all are counted. */
  limit?: number;
  batchSize?: number;
  onProgress?(events: number, position: EventPosition | undefined): void;
}

/**
 * Rebuilds a read model into scratch collections from position zero up to the live checkpoint, with the same
 * projection code, and compares them with the live collections document by document. Live documents that events
 * after that checkpoint have changed (the live projector keeps running) are left out. The scratch copy is dropped.
 */
export async function verifyProjection(options: VerifyOptions): Promise<VerifyReport> {
  const { db, projection, source } = options;
  const limit = options.limit ?? 10;
  const liveDoc = await checkpointsCollection(db).findOne({ _id: projection.name });
  const target = liveDoc ? positionOf(liveDoc) : undefined;
  const scratch = renamedProjection(projection, `__verify_${randomUUID().slice(0, 8)}`);
  let events = 0;
  try {
    if (target) {
      await scratch.setup(db);
      await applyInBatches(
        upTo(source.readAfter(undefined), target),
        options.batchSize ?? 2000,
        async (batch) => {
          await scratch.apply(db, batch);
          events += batch.length;
          options.onProgress?.(events, batch[batch.length - 1].position);
        },
      );
    }
    const limitPosition = target ? storedPosition(target) : -1;
    const differences: DocumentDifference[] = [];
    const collections: CollectionComparison[] = [];
    for (const [index, name] of projection.collections.entries()) {
      const comparison = await compareCollections(
        db.collection(name).find({}).sort({ _id: 1 }),
        db.collection(scratch.collections[index]).find({}).sort({ _id: 1 }),
        name,
        limitPosition,
        (difference) => {
          if (differences.length < limit) differences.push(difference);
        },
      );
      collections.push(comparison);
    }
    return {
      projection: projection.name,
      position: target?.commit.toString() ?? null,
      events,
      collections,
      differences,
      ok: collections.every((c) => c.differing === 0),
    };
  } finally {
    await dropAll(db, scratch.collections);
  }
}

export interface CustomerVerifyOptions {
  db: Db;
  projections: readonly Projection[];
  customerId: string;
  /** The customer's stream as the projector sees it (sealed, upcast), each with its `$all` position. */
  events: readonly ProjectedEvent[];
  limit?: number;
}

export interface CustomerVerifyReport {
  customerId: string;
  /** Commit position of the customer's last event; null for a customer without events. */
  position: string | null;
  collections: CollectionComparison[];
  differences: DocumentDifference[];
  ok: boolean;
}

/**
 * Folds one customer's events with the projections' own code into scratch collections and compares the result
 * with the customer's live documents (every read-model document names its `customerId`). The caller makes sure the
 * live read models have applied the last event first; documents changed by later events count as `newer`.
 */
export async function verifyCustomer(
  options: CustomerVerifyOptions,
): Promise<CustomerVerifyReport> {
  const { db, customerId, events } = options;
  // Documents that pack many customers (timelines) are verified whole, by `verify <name>`.
  const projections = options.projections.filter((projection) => projection.perCustomer !== false);
  const limit = options.limit ?? 10;
  const suffix = `__verify_${randomUUID().slice(0, 8)}`;
  const scratch = projections.map((projection) => renamedProjection(projection, suffix));
  const last = events.length > 0 ? events[events.length - 1].position : undefined;
  const differences: DocumentDifference[] = [];
  const collections: CollectionComparison[] = [];
  try {
    if (events.length > 0) for (const projection of scratch) await projection.apply(db, events);
    for (const [p, projection] of projections.entries()) {
      for (const [index, name] of projection.collections.entries()) {
        const filter = { customerId };
        collections.push(
          await compareCollections(
            db.collection(name).find(filter).sort({ _id: 1 }),
            db.collection(scratch[p].collections[index]).find(filter).sort({ _id: 1 }),
            name,
            last ? storedPosition(last) : -1,
            (difference) => {
              if (differences.length < limit) differences.push(difference);
            },
          ),
        );
      }
    }
  } finally {
    await dropAll(
      db,
      scratch.flatMap((projection) => projection.collections),
    );
  }
  return {
    customerId,
    position: last?.commit.toString() ?? null,
    collections,
    differences,
    ok: collections.every((c) => c.differing === 0),
  };
}

/**
 * Walks two cursors sorted by `_id` side by side. A live document past `limitPosition` was changed by a later
 * event and is left out (its rebuilt twin with it); every other mismatch is reported.
 */
async function compareCollections(
  live: AsyncIterable<Document>,
  rebuilt: AsyncIterable<Document>,
  collection: string,
  limitPosition: number,
  report: (difference: DocumentDifference) => void,
): Promise<CollectionComparison> {
  const result: CollectionComparison = { collection, compared: 0, newer: 0, differing: 0 };
  const left = live[Symbol.asyncIterator]();
  const right = rebuilt[Symbol.asyncIterator]();
  let a = await left.next();
  let b = await right.next();
  const differ = (difference: DocumentDifference) => {
    result.differing += 1;
    report(difference);
  };
  while (!a.done || !b.done) {
    const order = a.done ? 1 : b.done ? -1 : compareIds(a.value._id, b.value._id);
    if (order === 0) {
      const liveDoc = a.value as Document;
      if (typeof liveDoc.position === 'number' && liveDoc.position > limitPosition) {
        result.newer += 1;
      } else {
        result.compared += 1;
        const found = firstDifference(liveDoc, b.value as Document, '');
        if (found) differ({ collection, id: String(liveDoc._id), ...found });
      }
      a = await left.next();
      b = await right.next();
    } else if (order < 0) {
      const liveDoc = a.value as Document;
      if (typeof liveDoc.position === 'number' && liveDoc.position > limitPosition) {
        result.newer += 1;
      } else {
        result.compared += 1;
        differ({ collection, id: String(liveDoc._id), path: '', live: liveDoc, rebuilt: null });
      }
      a = await left.next();
    } else {
      const rebuiltDoc = b.value as Document;
      result.compared += 1;
      differ({ collection, id: String(rebuiltDoc._id), path: '', live: null, rebuilt: rebuiltDoc });
      b = await right.next();
    }
  }
  return result;
}

function compareIds(a: unknown, b: unknown): number {
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The first field (depth first, keys in sorted order) where two documents differ. */
export function firstDifference(
  live: unknown,
  rebuilt: unknown,
  path: string,
): { path: string; live: unknown; rebuilt: unknown } | null {
  if (live instanceof Date || rebuilt instanceof Date) {
    const same =
      live instanceof Date && rebuilt instanceof Date && live.getTime() === rebuilt.getTime();
    return same ? null : { path, live, rebuilt };
  }
  if (Array.isArray(live) || Array.isArray(rebuilt)) {
    if (!Array.isArray(live) || !Array.isArray(rebuilt)) return { path, live, rebuilt };
    const length = Math.max(live.length, rebuilt.length);
    for (let i = 0; i < length; i += 1) {
      const found = firstDifference(live[i], rebuilt[i], join(path, String(i)));
      if (found) return found;
    }
    return null;
  }
  if (isPlainObject(live) && isPlainObject(rebuilt)) {
    const keys = [...new Set([...Object.keys(live), ...Object.keys(rebuilt)])].sort();
    for (const key of keys) {
      const found = firstDifference(live[key], rebuilt[key], join(path, key));
      if (found) return found;
    }
    return null;
  }
  if (isPlainObject(live) || isPlainObject(rebuilt)) return { path, live, rebuilt };
  return Object.is(live, rebuilt) || live === rebuilt ? null : { path, live, rebuilt };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** The events up to and including `target`; stops reading after it. */
async function* upTo(
  events: AsyncIterable<ProjectedEvent>,
  target: EventPosition,
): AsyncGenerator<ProjectedEvent> {
  for await (const event of events) {
    if (
      event.position.commit > target.commit ||
      (event.position.commit === target.commit && event.position.prepare > target.prepare)
    )
      return;
    yield event;
  }
}
