import type { Db, Filter } from 'mongodb';
import { addDays } from '../projection/customer-event';
import { type DaySpend, type ProfileDocument, PROFILES_COLLECTION } from './profile.document';

export async function findProfile(db: Db, customerId: string): Promise<ProfileDocument | null> {
  return db.collection<ProfileDocument>(PROFILES_COLLECTION).findOne({ _id: customerId });
}

/** The profiles of these customers, in no particular order; customers without one are left out. */
export async function findProfiles(
  db: Db,
  customerIds: readonly string[],
): Promise<ProfileDocument[]> {
  if (customerIds.length === 0) return [];
  return db
    .collection<ProfileDocument>(PROFILES_COLLECTION)
    .find({ _id: { $in: [...customerIds] } })
    .toArray();
}

export interface ProfileFilter {
  stage?: string;
  tier?: string;
  region?: string;
  quadrant?: string;
  account?: string;
}

/** A page of profiles in customer-id order; `after` is the last id of the previous page. */
export async function listProfiles(
  db: Db,
  filter: ProfileFilter,
  limit: number,
  after?: string,
): Promise<{ items: ProfileDocument[]; next: string | null }> {
  const query: Filter<ProfileDocument> = {};
  if (filter.stage !== undefined) query['lifecycle.level'] = filter.stage;
  if (filter.tier !== undefined) query['tier.level'] = filter.tier;
  if (filter.quadrant !== undefined) query['quadrant.level'] = filter.quadrant;
  if (filter.account !== undefined) query['account.level'] = filter.account;
  if (filter.region !== undefined) query.region = filter.region;
  if (after !== undefined) query._id = { $gt: after };
  const items = await db
    .collection<ProfileDocument>(PROFILES_COLLECTION)
    .find(query)
    .sort({ _id: 1 })
    .limit(limit + 1)
    .toArray();
  const more = items.length > limit;
  if (more) items.pop();
  // A page of none (limit 0, for a count elsewhere) has no last id to go on from.
  return { items, next: more && items.length > 0 ? items[items.length - 1]._id : null };
}

/** Net spend and margin of the days in (at − windowDays, at]. */
export function spendInWindow(
  days: readonly DaySpend[],
  at: Date,
  windowDays: number,
): { amount: number; margin: number } {
  const start = addDays(at, -windowDays);
  let amount = 0;
  let margin = 0;
  for (const day of days) {
    if (day.day > start && day.day <= at) {
      amount += day.amount;
      margin += day.margin;
    }
  }
  return { amount: Math.round(amount * 1e6) / 1e6, margin: Math.round(margin * 1e6) / 1e6 };
}

/** Customers a review at `asOf` must visit: those with a time-driven transition possibly due by then. */
export async function customersDueForReview(db: Db, asOf: Date): Promise<string[]> {
  const due = await db
    .collection<ProfileDocument>(PROFILES_COLLECTION)
    .find({ nextReviewAt: { $lte: asOf } }, { projection: { _id: 1 } })
    .toArray();
  return due.map((doc) => doc._id);
}
