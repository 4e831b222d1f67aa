import type { PositionedDocument } from '../projection/document-fold';

export const TRANSITIONS_COLLECTION = 'transitions';

export const DIMENSIONS = ['tier', 'stage', 'quadrant', 'account'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** The `to` of an interval that is still open: the latest instant a BSON date holds, so ranges need no `$or`. */
export const OPEN_END = new Date(8_640_000_000_000_000);

/**
 * One level held by one customer over [from, to). A customer's intervals of a dimension do not overlap, so "level at
 * T" is one indexed range query and a migration matrix is one aggregation. `_id` is `<dimension>|<customer>|<position
 * of the event that opened it>`, which makes a replayed opening land on the same document.
 */
export interface TransitionDocument extends PositionedDocument {
  customerId: string;
  dimension: Dimension;
  level: string;
  from: Date;
  to: Date;
  reason: string;
  ruleVersion: string | null;
  /** The customer's region while the interval was open (for regional matrices). */
  region: string | null;
}
