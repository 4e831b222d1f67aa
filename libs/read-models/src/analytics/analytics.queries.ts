import type { Db, Document } from 'mongodb';
import { addDays } from '../projection/customer-event';
import { type ProfileDocument, PROFILES_COLLECTION } from '../profiles/profile.document';
import {
  type ComplaintFact,
  COMPLAINTS_COLLECTION,
  type InteractionFact,
  INTERACTIONS_COLLECTION,
} from './facts.document';

/** Which facts a report reads: a business-time period and, optionally, one region. */
export interface Period {
  from?: Date;
  to?: Date;
  region?: string;
}

/** Fields analysts may group interactions by, and the fact field each reads. */
export const INTERACTION_GROUPS = {
  channel: 'channel',
  direction: 'direction',
  department: 'department',
  week: 'week',
  kind: 'kind',
  region: 'region',
  agent: 'agentId',
  product: 'product',
} as const;
export type InteractionGroup = keyof typeof INTERACTION_GROUPS;

export const COMPLAINT_GROUPS = {
  category: 'category',
  product: 'product',
  region: 'region',
  agent: 'agentId',
  severity: 'severity',
  channel: 'channel',
  department: 'department',
  week: 'week',
} as const;
export type ComplaintGroup = keyof typeof COMPLAINT_GROUPS;

function periodMatch(field: string, period: Period): Document {
  const range: Document = {};
  if (period.from) range.$gte = period.from;
  if (period.to) range.$lt = period.to;
  const match: Document = Object.keys(range).length > 0 ? { [field]: range } : {};
  if (period.region !== undefined) match.region = period.region;
  return match;
}

function groupKey(fields: readonly string[]): Document {
  return Object.fromEntries(fields.map((field) => [field, `$${field}`]));
}

/** Complaint measures of a set of complaints, as `$group` accumulators and their final form. */
const COMPLAINT_ACCUMULATORS: Document = {
  complaints: { $sum: 1 },
  resolved: { $sum: { $cond: [{ $eq: ['$status', 'resolved'] }, 1, 0] } },
  escalated: { $sum: { $cond: [{ $gt: ['$escalations', 0] }, 1, 0] } },
  // First-contact resolution: resolved once, never escalated or reopened.
  firstContact: {
    $sum: {
      $cond: [
        {
          $and: [
            { $eq: ['$status', 'resolved'] },
            { $eq: ['$escalations', 0] },
            { $eq: ['$reopenings', 0] },
          ],
        },
        1,
        0,
      ],
    },
  },
  hoursSum: { $sum: { $ifNull: ['$hoursToResolve', 0] } },
  hoursCount: { $sum: { $cond: [{ $eq: ['$hoursToResolve', null] }, 0, 1] } },
  satisfied: { $sum: { $cond: [{ $eq: ['$satisfied', true] }, 1, 0] } },
  rated: { $sum: { $cond: [{ $eq: ['$satisfied', null] }, 0, 1] } },
};

export interface ComplaintMeasures {
  complaints: number;
  resolved: number;
  resolvedShare: number;
  escalationRate: number;
  firstContactResolution: number;
  meanHoursToResolve: number | null;
  satisfiedShare: number | null;
}

function complaintMeasures(row: Document): ComplaintMeasures {
  const n = row.complaints as number;
  return {
    complaints: n,
    resolved: row.resolved as number,
    resolvedShare: share(row.resolved as number, n),
    escalationRate: share(row.escalated as number, n),
    firstContactResolution: share(row.firstContact as number, n),
    meanHoursToResolve: row.hoursCount ? round(row.hoursSum / row.hoursCount) : null,
    satisfiedShare: row.rated ? share(row.satisfied as number, row.rated as number) : null,
  };
}

/** Complaints by the chosen dimensions: count, share resolved, mean time to resolve, satisfaction after. */
export async function complaintAnalytics(
  db: Db,
  groupBy: readonly ComplaintGroup[],
  period: Period,
): Promise<Array<{ group: Record<string, unknown> } & ComplaintMeasures>> {
  const fields = groupBy.map((g) => COMPLAINT_GROUPS[g]);
  const rows = await db
    .collection<ComplaintFact>(COMPLAINTS_COLLECTION)
    .aggregate([
      { $match: periodMatch('openedAt', period) },
      { $group: { _id: groupKey(fields), ...COMPLAINT_ACCUMULATORS } },
      { $sort: { complaints: -1 } },
    ])
    .toArray();
  return rows.map((row) => ({
    group: renameGroup(row._id as Document, groupBy, COMPLAINT_GROUPS),
    ...complaintMeasures(row),
  }));
}

/**
 * Touchpoints by the chosen dimensions; where every dimension also describes complaints (all but direction and
 * kind), each group carries the first-contact resolution and escalation rate of the complaints opened in it.
 */
export async function interactionAnalytics(
  db: Db,
  groupBy: readonly InteractionGroup[],
  period: Period,
): Promise<
  Array<
    {
      group: Record<string, unknown>;
      touchpoints: number;
      customers: number;
    } & Partial<ComplaintMeasures>
  >
> {
  const fields = groupBy.map((g) => INTERACTION_GROUPS[g]);
  const rows = await db
    .collection<InteractionFact>(INTERACTIONS_COLLECTION)
    .aggregate([
      { $match: periodMatch('occurredAt', period) },
      {
        $group: {
          _id: groupKey(fields),
          touchpoints: { $sum: 1 },
          customers: { $addToSet: '$customerId' },
        },
      },
      { $project: { touchpoints: 1, customers: { $size: '$customers' } } },
      { $sort: { touchpoints: -1 } },
    ])
    .toArray();
  const complaintGroups = groupBy.filter(
    (g): g is InteractionGroup & ComplaintGroup => g in COMPLAINT_GROUPS,
  );
  const byKey = new Map<string, ComplaintMeasures>();
  if (complaintGroups.length === groupBy.length) {
    for (const row of await complaintAnalytics(db, complaintGroups, period)) {
      byKey.set(JSON.stringify(row.group), row);
    }
  }
  return rows.map((row) => {
    const group = renameGroup(row._id as Document, groupBy, INTERACTION_GROUPS);
    const complaints = byKey.get(JSON.stringify(group));
    const measures =
      complaintGroups.length === groupBy.length
        ? {
            complaints: complaints?.complaints ?? 0,
            firstContactResolution: complaints?.firstContactResolution ?? null,
            escalationRate: complaints?.escalationRate ?? null,
          }
        : {};
    return {
      group,
      touchpoints: row.touchpoints as number,
      customers: row.customers as number,
      ...measures,
    } as never;
  });
}

/** Customers reached (outbound) by at least `minDepartments` departments in the same ISO week. */
export async function contactPressure(
  db: Db,
  period: Period,
  minDepartments: number,
  sample: number,
): Promise<
  Array<{
    week: string;
    customers: number;
    sample: Array<{ customerId: string; departments: string[] }>;
  }>
> {
  const rows = await db
    .collection<InteractionFact>(INTERACTIONS_COLLECTION)
    .aggregate([
      {
        $match: {
          direction: 'outbound',
          department: { $ne: null },
          ...periodMatch('occurredAt', period),
        },
      },
      {
        $group: {
          _id: { week: '$week', customerId: '$customerId' },
          departments: { $addToSet: '$department' },
        },
      },
      { $match: { [`departments.${minDepartments - 1}`]: { $exists: true } } },
      { $sort: { '_id.week': 1, '_id.customerId': 1 } },
      {
        $group: {
          _id: '$_id.week',
          customers: { $sum: 1 },
          sample: { $push: { customerId: '$_id.customerId', departments: '$departments' } },
        },
      },
      { $sort: { _id: 1 } },
    ])
    .toArray();
  return rows.map((row) => ({
    week: row._id as string,
    customers: row.customers as number,
    sample: (row.sample as Array<{ customerId: string; departments: string[] }>)
      .slice(0, sample)
      .map((s) => ({ customerId: s.customerId, departments: [...s.departments].sort() })),
  }));
}

/** Live paying customers with the fields segment reports need (one query, projected). */
export async function payingCustomers(db: Db, region?: string): Promise<ProfileDocument[]> {
  return db
    .collection<ProfileDocument>(PROFILES_COLLECTION)
    .find(
      {
        status: 'live',
        firstPurchaseAt: { $ne: null },
        ...(region !== undefined ? { region } : {}),
      },
      {
        projection: {
          _id: 1,
          customerId: 1,
          region: 1,
          lastPurchaseAt: 1,
          spend: 1,
          spendByDay: 1,
          satisfaction: 1,
          complaints: 1,
          lifecycle: 1,
          tier: 1,
          quadrant: 1,
          account: 1,
        },
      },
    )
    .toArray();
}

/** A segment report: for each level of a dimension (current), count, value in the window and shares. */
export async function segmentReport(
  db: Db,
  field: 'quadrant' | 'account',
  levels: readonly string[],
  at: Date,
  windowDays: number,
  sample: number,
  region?: string,
): Promise<{
  at: string;
  windowDays: number;
  customers: number;
  value: number;
  segments: Array<{
    level: string;
    customers: number;
    customerShare: number;
    value: number;
    valueShare: number;
    meanScores: Record<string, number>;
    top: Array<{ customerId: string; value: number }>;
  }>;
}> {
  const start = addDays(at, -windowDays);
  const rows = await db
    .collection<ProfileDocument>(PROFILES_COLLECTION)
    .aggregate([
      {
        $match: {
          status: 'live',
          [`${field}.level`]: { $ne: null },
          ...(region !== undefined ? { region } : {}),
        },
      },
      {
        $project: {
          level: `$${field}.level`,
          scores: `$${field}.scores`,
          value: {
            $sum: {
              $map: {
                input: {
                  $filter: {
                    input: '$spendByDay',
                    as: 'd',
                    cond: { $and: [{ $gt: ['$$d.day', start] }, { $lte: ['$$d.day', at] }] },
                  },
                },
                as: 'd',
                in: '$$d.amount',
              },
            },
          },
        },
      },
      { $sort: { value: -1, _id: 1 } },
      {
        $group: {
          _id: '$level',
          customers: { $sum: 1 },
          value: { $sum: '$value' },
          scores: { $push: '$scores' },
          top: { $push: { customerId: '$_id', value: '$value' } },
        },
      },
    ])
    .toArray();
  const customers = rows.reduce((n, row) => n + (row.customers as number), 0);
  const value = round(rows.reduce((n, row) => n + (row.value as number), 0));
  const byLevel = new Map(rows.map((row) => [row._id as string, row]));
  const names = [...levels, ...[...byLevel.keys()].filter((l) => !levels.includes(l)).sort()];
  return {
    at: at.toISOString(),
    windowDays,
    customers,
    value,
    segments: names.map((level) => {
      const row = byLevel.get(level);
      const count = (row?.customers as number | undefined) ?? 0;
      const segmentValue = round((row?.value as number | undefined) ?? 0);
      return {
        level,
        customers: count,
        customerShare: share(count, customers),
        value: segmentValue,
        valueShare: share(segmentValue, value),
        meanScores: meanOf((row?.scores as Array<Record<string, number>> | undefined) ?? []),
        top: ((row?.top as Array<{ customerId: string; value: number }> | undefined) ?? [])
          .slice(0, sample)
          .map((t) => ({ customerId: t.customerId, value: round(t.value) })),
      };
    }),
  };
}

function meanOf(
  scores: ReadonlyArray<Record<string, number> | null | undefined>,
): Record<string, number> {
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const entry of scores) {
    for (const [key, value] of Object.entries(entry ?? {})) {
      if (typeof value !== 'number') continue;
      sums[key] = (sums[key] ?? 0) + value;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return Object.fromEntries(
    Object.keys(sums)
      .sort()
      .map((key) => [key, round(sums[key] / counts[key])]),
  );
}

function renameGroup(
  id: Document,
  groupBy: readonly string[],
  fields: Readonly<Record<string, string>>,
): Record<string, unknown> {
  return Object.fromEntries(groupBy.map((g) => [g, id?.[fields[g]] ?? null]));
}

export function share(part: number, whole: number): number {
  return whole === 0 ? 0 : round(part / whole);
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
