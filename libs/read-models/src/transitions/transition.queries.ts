import type { Db, Document } from 'mongodb';
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
 * For each level held at `from`, how many customers hold each level at `to`, in one aggregation over the intervals
 * that cover either moment. Customers with a level at neither moment are not counted.
 */
export async function migrationMatrix(db: Db, query: MigrationQuery): Promise<MigrationMatrix> {
  const [early, late] = query.from <= query.to ? [query.from, query.to] : [query.to, query.from];
  const covers = (at: Date) => ({
    $cond: [{ $and: [{ $lte: ['$from', at] }, { $gt: ['$to', at] }] }, '$level', null],
  });
  const pipeline: Document[] = [
    {
      $match: {
        dimension: query.dimension,
        from: { $lte: late },
        to: { $gt: early },
        ...(query.region !== undefined ? { region: query.region } : {}),
      },
    },
    { $project: { _id: 0, customerId: 1, a: covers(query.from), b: covers(query.to) } },
    { $group: { _id: '$customerId', a: { $max: '$a' }, b: { $max: '$b' } } },
    { $group: { _id: { a: '$a', b: '$b' }, count: { $sum: 1 } } },
  ];
  const cells = await db
    .collection<TransitionDocument>(TRANSITIONS_COLLECTION)
    .aggregate<{ _id: { a: string | null; b: string | null }; count: number }>(pipeline)
    .toArray();
  const found = new Set<string>();
  for (const cell of cells) {
    if (cell._id.a) found.add(cell._id.a);
    if (cell._id.b) found.add(cell._id.b);
  }
  const levels = [
    ...query.levels,
    ...[...found].filter((l) => !query.levels.includes(l)).sort(),
    NONE,
  ];
  const matrix: Record<string, Record<string, number>> = {};
  const totals = { from: zeros(levels), to: zeros(levels), customers: 0 };
  for (const level of levels) matrix[level] = zeros(levels);
  for (const cell of cells) {
    const a = cell._id.a ?? NONE;
    const b = cell._id.b ?? NONE;
    if (a === NONE && b === NONE) continue;
    matrix[a][b] += cell.count;
    totals.from[a] += cell.count;
    totals.to[b] += cell.count;
    totals.customers += cell.count;
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
): Promise<Record<string, number>> {
  const rows = await db
    .collection<TransitionDocument>(TRANSITIONS_COLLECTION)
    .aggregate<{ _id: string; count: number }>([
      {
        $match: {
          dimension,
          from: { $lte: at },
          to: { $gt: at },
          ...(region !== undefined ? { region } : {}),
        },
      },
      { $group: { _id: '$level', count: { $sum: 1 } } },
    ])
    .toArray();
  return Object.fromEntries(rows.map((row) => [row._id, row.count]));
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
