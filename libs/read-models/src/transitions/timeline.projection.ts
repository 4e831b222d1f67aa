import type { Db } from 'mongodb';
import { asCustomerEvent, customerIdOf } from '../projection/customer-event';
import {
  type DocumentFolder,
  documentFolds,
  type PositionedDocument,
} from '../projection/document-fold';
import type { Projection } from '../projection/projection';
import { changesOf } from './transition.projection';
import { type Dimension } from './transition.document';

export const TIMELINES_COLLECTION = 'level_timelines';

/**
 * Customers per dimension are spread over this many documents (about 12 each at 100 000 customers): few enough for a
 * matrix to read quickly, small enough that rewriting one for a customer's change stays cheap.
 */
export const TIMELINE_BUCKETS = 8192;

/** A level held from a moment on: `[from (epoch ms), level or null]`. */
export type TimelineEntry = [number, string | null];

/** One customer's levels of a dimension, oldest first, and (in the stage dimension) their region. */
export interface Timeline {
  r?: string | null;
  t: TimelineEntry[];
}

/** The forms earlier versions stored a customer's timeline in: the entries as an array, or as JSON text. */
interface StoredTimeline {
  r?: string | null;
  t: string | TimelineEntry[];
}

/**
 * The level history of every customer whose id hashes to this bucket, for one dimension. A migration matrix over
 * 100 000 customers then reads about eight thousand documents instead of every interval: the same facts as the
 * `transitions` intervals, packed for population-wide questions. `customers` is the JSON text of
 * `Record<customerId, Timeline>`: one value per bucket for the store to encode, send, journal and keep on its heap
 * (nothing queries inside a bucket; readers unpack it). Buckets written by earlier versions hold an object of
 * customers instead; every reader takes both, and the projector repacks a bucket when it next changes it.
 */
export interface TimelineBucket extends PositionedDocument {
  dimension: Dimension;
  bucket: number;
  customers: string | Record<string, StoredTimeline>;
}

/** A bucket's customers, unpacked (a fresh object the caller may change). */
export function unpackBucket(bucket: Pick<TimelineBucket, 'customers'>): Record<string, Timeline> {
  if (typeof bucket.customers === 'string') {
    return JSON.parse(bucket.customers) as Record<string, Timeline>;
  }
  const customers: Record<string, Timeline> = {};
  for (const [id, stored] of Object.entries(bucket.customers)) {
    const t = typeof stored.t === 'string' ? (JSON.parse(stored.t) as TimelineEntry[]) : stored.t;
    customers[id] = stored.r === undefined ? { t } : { r: stored.r, t };
  }
  return customers;
}

/** FNV-1a: a stable spread of customer ids over the buckets. */
export function timelineBucket(customerId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i += 1) {
    hash ^= customerId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % TIMELINE_BUCKETS;
}

const keyOf = (dimension: Dimension, customerId: string) =>
  `${dimension}|${timelineBucket(customerId)}`;

/** Buckets this fold returned, unpacked. */
const unpackedByFold = new WeakMap<TimelineBucket, Record<string, Timeline>>();

export const timelineFolder: DocumentFolder<TimelineBucket> = {
  keys: (projected) => {
    const customerId = customerIdOf(projected);
    const event = asCustomerEvent(projected);
    if (customerId === null || !event) return [];
    const effect = changesOf(event);
    const dimensions: Dimension[] = effect.changes.map((c) => c.dimension);
    if (effect.region !== undefined) dimensions.push('stage');
    return [...new Set(dimensions.map((dimension) => keyOf(dimension, customerId)))];
  },
  apply: (current, projected, key) => {
    const customerId = customerIdOf(projected)!;
    const event = asCustomerEvent(projected)!;
    const [dimension, bucket] = key.split('|') as [Dimension, string];
    const effect = changesOf(event);
    const changes = effect.changes.filter((c) => c.dimension === dimension);
    // A bucket changed earlier in the same batch comes back as the document this returned: reuse its unpacked form
    // (that document is superseded by the one returned now) instead of parsing the text just written.
    const customers = current ? (unpackedByFold.get(current) ?? unpackBucket(current)) : {};
    const before = customers[customerId];
    const entries = before ? before.t.slice() : [];
    let region = before?.r;
    if (dimension === 'stage') region = effect.region ?? region ?? null;
    for (const change of changes) {
      const last = entries[entries.length - 1];
      if ((last?.[1] ?? null) === change.level) continue;
      // As in the intervals: a dimension's moments never go back.
      const at = Math.max(change.at.getTime(), last?.[0] ?? -Infinity);
      if (last && last[0] === at) entries[entries.length - 1] = [at, change.level];
      else entries.push([at, change.level]);
    }
    customers[customerId] = region === undefined ? { t: entries } : { r: region, t: entries };
    const doc: TimelineBucket = {
      _id: key,
      position: current?.position ?? -1,
      dimension,
      bucket: Number(bucket),
      customers: JSON.stringify(customers),
    };
    unpackedByFold.set(doc, customers);
    return doc;
  },
};

export function timelinesProjection(): Projection {
  return {
    name: 'timelines',
    collections: [TIMELINES_COLLECTION],
    perCustomer: false,
    async setup(db: Db) {
      await db
        .collection(TIMELINES_COLLECTION)
        // The second: what changed since a position, for the timeline cache of population-wide queries.
        .createIndexes([
          { key: { dimension: 1, bucket: 1 } },
          { key: { dimension: 1, position: 1 } },
        ]);
    },
    ...documentFolds([[TIMELINES_COLLECTION, timelineFolder]]),
  };
}

/** The level a timeline holds at `at` (ms), or null. */
export function levelOn(timeline: Timeline, at: number): string | null {
  let level: string | null = null;
  for (const [from, next] of timeline.t) {
    if (from > at) break;
    level = next;
  }
  return level;
}
