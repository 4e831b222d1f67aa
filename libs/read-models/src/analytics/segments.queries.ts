import type { Db } from 'mongodb';
import { type ProfileDocument } from '../profiles/profile.document';
import { spendInWindow } from '../profiles/profile.queries';
import { payingCustomers, share } from './analytics.queries';

const DAY_MS = 86_400_000;

/** Quintile boundaries of the paying population: a value above `k` boundaries scores k + 1. */
export interface RfmBoundaries {
  at: string;
  windowDays: number;
  customers: number;
  /** Days since the last purchase; fewer is better. */
  recency: number[];
  /** Purchases in the window. */
  frequency: number[];
  /** Net spend in the window. */
  monetary: number[];
}

export interface RfmScore {
  recency: number;
  frequency: number;
  monetary: number;
  /** e.g. `545` */
  cell: string;
  segment: RfmSegment;
}

export const RFM_SEGMENTS = [
  'champions',
  'loyal',
  'new',
  'promising',
  'need_attention',
  'at_risk',
  'hibernating',
] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];

/** Named segments on the recency × frequency grid (monetary ranks within them). */
export function rfmSegment(recency: number, frequency: number): RfmSegment {
  if (recency >= 4 && frequency >= 4) return 'champions';
  if (recency >= 3 && frequency >= 3) return 'loyal';
  if (recency >= 4 && frequency === 1) return 'new';
  if (recency >= 4) return 'promising';
  if (recency === 3) return 'need_attention';
  if (frequency >= 3) return 'at_risk';
  return 'hibernating';
}

interface RfmInputs {
  customerId: string;
  recencyDays: number;
  frequency: number;
  monetary: number;
}

function inputsOf(doc: ProfileDocument, at: Date, windowDays: number): RfmInputs | null {
  if (!doc.lastPurchaseAt || doc.lastPurchaseAt > at) return null;
  const start = at.getTime() - windowDays * DAY_MS;
  const purchaseDays = doc.spendByDay.filter(
    (d) => d.amount > 0 && d.day.getTime() > start && d.day <= at,
  );
  return {
    customerId: doc._id,
    recencyDays: Math.floor((at.getTime() - doc.lastPurchaseAt.getTime()) / DAY_MS),
    frequency: purchaseDays.length,
    monetary: spendInWindow(doc.spendByDay, at, windowDays).amount,
  };
}

function quintiles(values: number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  return [0.2, 0.4, 0.6, 0.8].map(
    (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))],
  );
}

function scoreAbove(value: number, boundaries: readonly number[]): number {
  return 1 + boundaries.filter((b) => value >= b).length;
}

/** Recency scores the other way round: the most recent fifth scores 5. */
function scoreRecency(days: number, boundaries: readonly number[]): number {
  return 1 + boundaries.filter((b) => days <= b).length;
}

export function rfmScore(
  inputs: Omit<RfmInputs, 'customerId'>,
  boundaries: RfmBoundaries,
): RfmScore {
  const recency = Math.min(5, scoreRecency(inputs.recencyDays, boundaries.recency));
  const frequency = Math.min(5, scoreAbove(inputs.frequency, boundaries.frequency));
  const monetary = Math.min(5, scoreAbove(inputs.monetary, boundaries.monetary));
  return {
    recency,
    frequency,
    monetary,
    cell: `${recency}${frequency}${monetary}`,
    segment: rfmSegment(recency, frequency),
  };
}

/** Recency, frequency (purchase days) and monetary value of one profile at `at`. */
export function rfmInputs(doc: ProfileDocument, at: Date, windowDays: number) {
  return inputsOf(doc, at, windowDays);
}

/**
 * RFM over the live paying population at `at`: quintile boundaries, customers per named segment and per
 * recency × frequency cell. Frequency counts the days with a purchase in the window, monetary the net spend in it.
 */
export async function rfmReport(db: Db, at: Date, windowDays: number, region?: string) {
  const inputs = (await payingCustomers(db, region))
    .map((doc) => inputsOf(doc, at, windowDays))
    .filter((i): i is RfmInputs => i !== null);
  const boundaries: RfmBoundaries = {
    at: at.toISOString(),
    windowDays,
    customers: inputs.length,
    recency: quintiles(inputs.map((i) => i.recencyDays)),
    frequency: quintiles(inputs.map((i) => i.frequency)),
    monetary: quintiles(inputs.map((i) => i.monetary)),
  };
  const segments = Object.fromEntries(
    RFM_SEGMENTS.map((s) => [s, { customers: 0, share: 0, value: 0 }]),
  );
  const grid: Record<string, Record<string, number>> = {};
  for (let r = 5; r >= 1; r -= 1) grid[r] = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
  for (const input of inputs) {
    const score = rfmScore(input, boundaries);
    segments[score.segment].customers += 1;
    segments[score.segment].value += input.monetary;
    grid[score.recency][score.frequency] += 1;
  }
  for (const entry of Object.values(segments)) {
    entry.share = share(entry.customers, inputs.length);
    entry.value = Math.round(entry.value * 1e6) / 1e6;
  }
  return { boundaries, segments, grid };
}

/**
 * The top and bottom fifth of customers by mean satisfaction score (with feedback), and what characterises each:
 * spend, complaints, tiers, stages and regions.
 */
export async function satisfactionReport(
  db: Db,
  at: Date,
  windowDays: number,
  sample: number,
  region?: string,
) {
  const rated = (await payingCustomers(db, region))
    .filter((doc) => doc.satisfaction.meanScore !== null)
    .sort(
      (a, b) => b.satisfaction.meanScore! - a.satisfaction.meanScore! || (a._id < b._id ? -1 : 1),
    );
  const fifth = Math.ceil(rated.length / 5);
  const describe = (group: ProfileDocument[]) => ({
    customers: group.length,
    meanScore: mean(group.map((d) => d.satisfaction.meanScore!)),
    meanSpendInWindow: mean(group.map((d) => spendInWindow(d.spendByDay, at, windowDays).amount)),
    meanComplaints: mean(group.map((d) => d.complaints.opened)),
    openComplaints: group.reduce((n, d) => n + d.complaints.open.length, 0),
    tiers: tally(group.map((d) => d.tier?.level ?? 'none')),
    stages: tally(group.map((d) => d.lifecycle?.level ?? 'none')),
    regions: tally(group.map((d) => d.region ?? 'unknown')),
    sample: group
      .slice(0, sample)
      .map((d) => ({ customerId: d._id, meanScore: d.satisfaction.meanScore })),
  });
  return {
    at: at.toISOString(),
    rated: rated.length,
    top: describe(rated.slice(0, fifth)),
    bottom: describe(rated.slice(rated.length - fifth).reverse()),
  };
}

function mean(values: number[]): number | null {
  if (values.length === 0) return null;
  return Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1e6) / 1e6;
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}
