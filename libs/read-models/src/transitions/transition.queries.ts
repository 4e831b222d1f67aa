import type { Db } from 'mongodb';
import type { TimelineCache } from './timeline-cache';
import {
  levelOn,
  type Timeline,
  type TimelineBucket,
  TIMELINES_COLLECTION,
  unpackBucket,
} from './timeline.projection';
import {
  type Dimension,
  TRANSITIONS_COLLECTION,
  type TransitionDocument,
} from './transition.document';

/** The row and column of customers without a level at a moment (not yet a customer, not a member, erased). */
export const NONE = 'none';

export interface MigrationQuery {
  dimension: Dimension;
  from: Date;
  to: Date;
  /** The levels in their natural order; levels found that are not listed follow them. */
  levels: readonly string[];
  region?: string;
}

export interface MigrationMatrix {
  dimension: Dimension;
  from: string;
  to: string;
  levels: string[];
  matrix: Record<string, Record<string, number>>;
  totals: { from: Record<string, number>; to: Record<string, number>; customers: number };
}

/**
 * For each level held at `from`, how many customers hold each level at `to`. Reads the dimension's timeline buckets
 * (about a thousand documents, whatever the population) and judges each customer's two moments in memory. Customers
 * with a level at neither moment are not counted; `region` is the customer's current region.
 */
export async function migrationMatrix(
  db: Db,
  query: MigrationQuery,
  cache?: TimelineCache,
): Promise<MigrationMatrix> {
  const a = query.from.getTime();
  const b = query.to.getTime();
  const cells = new Map<string, number>();
  const found = new Set<string>();
  for (const [, timeline] of await timelines(db, query.dimension, query.region, cache)) {
    const from = levelOn(timeline, a);
    const to = levelOn(timeline, b);
    if (from === null && to === null) continue;
    if (from !== null) found.add(from);
    if (to !== null) found.add(to);
    const cell = `${from ?? NONE}\u0000${to ?? NONE}`;
    cells.set(cell, (cells.get(cell) ?? 0) + 1);
  }
  const levels = [
    ...query.levels,
    ...[...found].filter((l) => !query.levels.includes(l)).sort(),
    NONE,
  ];
  const matrix: Record<string, Record<string, number>> = {};
  const totals = { from: zeros(levels), to: zeros(levels), customers: 0 };
  for (const level of levels) matrix[level] = zeros(levels);
  for (const [cell, count] of cells) {
    const [from, to] = cell.split('\u0000');
    matrix[from][to] += count;
    totals.from[from] += count;
    totals.to[to] += count;
    totals.customers += count;
  }
  return {
    dimension: query.dimension,
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    levels,
    matrix,
    totals,
  };
}

/** How many customers hold each level at one moment. */
export async function levelCounts(
  db: Db,
  dimension: Dimension,
  at: Date,
  region?: string,
  cache?: TimelineCache,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [, timeline] of await timelines(db, dimension, region, cache)) {
    const level = levelOn(timeline, at.getTime());
    if (level !== null) counts[level] = (counts[level] ?? 0) + 1;
  }
  return counts;
}

export interface MigrationCellQuery {
  dimension: Dimension;
  from: Date;
  to: Date;
  /** The cell: the level at `from` and the level at `to`, `none` for no level. */
  fromLevel: string;
  toLevel: string;
  region?: string;
  limit: number;
  /** The last customer id of the previous page. */
  after?: string;
}

/**
 * The customers of one cell of the migration matrix, in customer-id order, a page at a time, with how many the cell
 * holds in all. The same judgement as migrationMatrix, so the pages of a cell add up to its count.
 */
export async function migrationCell(
  db: Db,
  query: MigrationCellQuery,
  cache?: TimelineCache,
): Promise<{ customerIds: string[]; total: number; next: string | null }> {
  if (query.fromLevel === NONE && query.toLevel === NONE) {
    return { customerIds: [], total: 0, next: null };
  }
  const a = query.from.getTime();
  const b = query.to.getTime();
  const inCell: string[] = [];
  for (const [id, timeline] of await timelines(db, query.dimension, query.region, cache)) {
    if (
      (levelOn(timeline, a) ?? NONE) === query.fromLevel &&
      (levelOn(timeline, b) ?? NONE) === query.toLevel
    ) {
      inCell.push(id);
    }
  }
  inCell.sort();
  const after = query.after;
  const start = after === undefined ? 0 : inCell.findIndex((id) => id > after);
  const page = start < 0 ? [] : inCell.slice(start, start + query.limit);
  const more = start >= 0 && start + query.limit < inCell.length;
  return { customerIds: page, total: inCell.length, next: more ? page[page.length - 1] : null };
}

/** Each customer's timeline of a dimension, with the customer's id (from the cache when one is given). */
async function timelines(
  db: Db,
  dimension: Dimension,
  region?: string,
  cache?: TimelineCache,
): Promise<ReadonlyArray<[string, Timeline]>> {
  const read = async (of: Dimension): Promise<ReadonlyArray<[string, Timeline]>> => {
    if (cache) return cache.timelines(db, of);
    const buckets = await db
      .collection<TimelineBucket>(TIMELINES_COLLECTION)
      .find({ dimension: of }, { projection: { customers: 1 } })
      .toArray();
    return buckets.flatMap((bucket) => Object.entries(unpackBucket(bucket)));
  };
  const [all, stages] = await Promise.all([
    read(dimension),
    region !== undefined && dimension !== 'stage' ? read('stage') : Promise.resolve([]),
  ]);
  if (region === undefined) return all;
  // The region lives in the stage timeline.
  const regionOf = new Map<string, string | null | undefined>();
  for (const [id, timeline] of dimension === 'stage' ? all : stages) regionOf.set(id, timeline.r);
  return all.filter(([id]) => regionOf.get(id) === region);
}

/** The customer's level of a dimension at a moment, or null. */
export async function levelAt(
  db: Db,
  customerId: string,
  dimension: Dimension,
  at: Date,
): Promise<TransitionDocument | null> {
  return db
    .collection<TransitionDocument>(TRANSITIONS_COLLECTION)
    .findOne({ customerId, dimension, from: { $lte: at }, to: { $gt: at } });
}

/** A customer's intervals, oldest first. */
export async function customerTimeline(db: Db, customerId: string): Promise<TransitionDocument[]> {
  return db
    .collection<TransitionDocument>(TRANSITIONS_COLLECTION)
    .find({ customerId })
    .sort({ from: 1, position: 1 })
    .toArray();
}

function zeros(levels: readonly string[]): Record<string, number> {
  return Object.fromEntries(levels.map((level) => [level, 0]));
}
