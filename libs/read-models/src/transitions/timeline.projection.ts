import type { Db } from 'mongodb';
import { asCustomerEvent, customerIdOf } from '../projection/customer-event';
import {
  type DocumentFolder,
  foldIntoCollection,
  type PositionedDocument,
} from '../projection/document-fold';
import type { ProjectedEvent, Projection } from '../projection/projection';
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

/**
 * One customer's levels of a dimension, oldest first, as stored: the entries packed as JSON text, so a bucket holds
 * one string per customer instead of a nested array of pairs (a tenth of the values for the store to encode, decode,
 * copy and keep on its heap). Buckets written before the packing hold the array itself; both read the same. The
 * customer's region is kept once, in the stage timeline (every customer has one from registration on).
 */
export interface CustomerTimeline {
  r?: string | null;
  t: string | TimelineEntry[];
}

/** A customer's timeline as the queries use it: the entries unpacked. */
export interface Timeline {
  r?: string | null;
  t: TimelineEntry[];
}

export function unpackTimeline(stored: CustomerTimeline): Timeline {
  return {
    r: stored.r,
    t: typeof stored.t === 'string' ? (JSON.parse(stored.t) as TimelineEntry[]) : stored.t,
  };
}

/**
 * The level history of every customer whose id hashes to this bucket, for one dimension. A migration matrix over
 * 100 000 customers then reads about a thousand documents instead of every interval: the same facts as the
 * `transitions` intervals, packed for population-wide questions.
 */
export interface TimelineBucket extends PositionedDocument {
  dimension: Dimension;
  bucket: number;
  customers: Record<string, CustomerTimeline>;
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
    const doc: TimelineBucket = current
      ? { ...current, customers: { ...current.customers } }
      : { _id: key, position: -1, dimension, bucket: Number(bucket), customers: {} };
    const before = doc.customers[customerId];
    const timeline: Timeline = before ? unpackTimeline(before) : { t: [] };
    const entries = timeline.t.slice();
    if (dimension === 'stage') timeline.r = effect.region ?? timeline.r ?? null;
    for (const change of changes) {
      const last = entries[entries.length - 1];
      if ((last?.[1] ?? null) === change.level) continue;
      // As in the intervals: a dimension's moments never go back.
      const at = Math.max(change.at.getTime(), last?.[0] ?? -Infinity);
      if (last && last[0] === at) entries[entries.length - 1] = [at, change.level];
      else entries.push([at, change.level]);
    }
    const packed: CustomerTimeline = { t: JSON.stringify(entries) };
    if (timeline.r !== undefined) packed.r = timeline.r;
    doc.customers[customerId] = packed;
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
        .createIndexes([{ key: { dimension: 1, bucket: 1 } }]);
    },
    async apply(db: Db, events: readonly ProjectedEvent[]) {
      await foldIntoCollection(
        db.collection<TimelineBucket>(TIMELINES_COLLECTION),
        events,
        timelineFolder,
      );
    },
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
