import {
  type AccountSegment,
  type LifecycleStage,
  type SegmentChanged,
  type SegmentDimension,
  type ValueQuadrant,
} from './customer.events';
import { type Activity, COMPLAINTS, FEEDBACK, LEDGER } from './customer.state';
import {
  DAY_MS,
  DEFAULT_HORIZON_YEARS,
  DEFAULT_NORMALISATION_CAPS,
  DEFAULT_VALUE_WINDOW_DAYS,
  type KeyAccountFactor,
  type PolicyRules,
  type WeightedScore,
  YEAR_MS,
} from './policy-rules';

// Value quadrant and key-account segment (DESIGN.md 3.4). Every measure is taken as of a moment
// from the time-stamped facts in Activity, so evaluating a moment gives the same answer whenever
// it runs. The normalisation of each factor is tabled in libs/domain/README.md.

export interface SegmentVerdict {
  readonly segment: string;
  readonly scores: Record<string, number>;
}

/** Long-term value keeps this share of the yearly value in each stage: leaving customers are worth less. */
const STAGE_RETENTION: Readonly<Record<LifecycleStage, number>> = {
  prospect: 1,
  new: 1,
  active: 1,
  at_risk: 0.5,
  churned: 0,
};

export function valueWindowDays(rules: PolicyRules): number {
  return rules.valueMatrix.windowDays ?? DEFAULT_VALUE_WINDOW_DAYS;
}

/** Both dimensions as of `at` (ms), for a customer in `stage` at that moment. */
export function segmentsAt(
  activity: Activity,
  stage: LifecycleStage | null,
  at: number,
  rules: PolicyRules,
): Record<SegmentDimension, SegmentVerdict> {
  const window = valueWindowDays(rules) * DAY_MS;
  const inWindow = activity.ledger.sumIn(at - window, at);
  const spend12m = inWindow[LEDGER.spend];
  const margin12m = inWindow[LEDGER.margin];
  const spendBefore = activity.ledger.sumIn(at - 2 * window, at - window)[LEDGER.spend];
  const lifetime = activity.ledger.totalsUpTo(at);
  const first = activity.ledger.firstTime() ?? at;
  const tenureYears = Math.max(0, at - first) / YEAR_MS;

  const { currentValue: current, longTermValue: longTerm } = rules.valueMatrix;
  const metricColumn = current.metric === 'margin12m' ? LEDGER.margin : LEDGER.spend;
  const currentValue = current.metric === 'margin12m' ? margin12m : spend12m;
  // Average yearly value over the tenure (at least one year, so a first big order is not
  // extrapolated), over the horizon, kept in proportion to the stage.
  const yearly = lifetime[metricColumn] / Math.max(1, tenureYears);
  const horizon = longTerm.horizonYears ?? DEFAULT_HORIZON_YEARS;
  const longTermValue = yearly * horizon * STAGE_RETENTION[stage ?? 'active'];

  const caps = { ...DEFAULT_NORMALISATION_CAPS, ...rules.keyAccounts.caps };
  const feedback = activity.feedback.totalsUpTo(at);
  const complaints = activity.complaintLog.totalsUpTo(at);
  const purchases = lifetime[LEDGER.purchases];
  const factors: Record<KeyAccountFactor, number> = {
    spend12m: clip(spend12m / caps.spend12m),
    margin12m: clip(margin12m / caps.margin12m),
    growth: growth(spend12m, spendBefore),
    predictedValue: clip(longTermValue / caps.predictedValue),
    satisfaction: meanOr(
      feedback[FEEDBACK.scoreSum],
      feedback[FEEDBACK.scores],
      3,
      (m) => (m - 1) / 4,
    ),
    nps: meanOr(feedback[FEEDBACK.npsSum], feedback[FEEDBACK.npsCount], 5, (m) => m / 10),
    complaintsResolvedShare:
      complaints[COMPLAINTS.openings] === 0
        ? 1
        : clip(complaints[COMPLAINTS.resolutions] / complaints[COMPLAINTS.openings]),
    tenureYears: clip(tenureYears / caps.tenureYears),
    repeatRate: purchases <= 0 ? 0 : clip((purchases - 1) / purchases),
  };
  const attractiveness = weighted(rules.keyAccounts.attractiveness, factors);
  const strength = weighted(rules.keyAccounts.strength, factors);
  const attractive = attractiveness >= rules.keyAccounts.attractiveness.high;
  const strong = strength >= rules.keyAccounts.strength.high;

  return {
    quadrant: {
      segment: quadrant(currentValue >= current.high, longTermValue >= longTerm.high),
      scores: { currentValue: exact(currentValue), longTermValue: exact(longTermValue) },
    },
    account: {
      segment: account(attractive, strong),
      scores: { attractiveness: exact(attractiveness), strength: exact(strength) },
    },
  };
}

/**
 * The first moment after `after` at which the trailing windows change without a new fact: a
 * ledger entry leaves the current window (at + window) or the one before it, which growth
 * compares against (at + 2·window).
 */
export function nextWindowExit(
  activity: Activity,
  after: number,
  rules: PolicyRules,
): number | undefined {
  const window = valueWindowDays(rules) * DAY_MS;
  const leavesCurrent = activity.ledger.firstTimeAfter(after - window);
  const leavesPrevious = activity.ledger.firstTimeAfter(after - 2 * window);
  const moments = [
    leavesCurrent === undefined ? undefined : leavesCurrent + window,
    leavesPrevious === undefined ? undefined : leavesPrevious + 2 * window,
  ].filter((moment): moment is number => moment !== undefined);
  return moments.length === 0 ? undefined : Math.min(...moments);
}

export function segmentChanged(
  customerId: string,
  dimension: SegmentDimension,
  from: string | null,
  verdict: SegmentVerdict,
  reason: string,
  effectiveAt: string,
  rules: PolicyRules,
): SegmentChanged {
  return {
    type: 'SegmentChanged',
    data: {
      customerId,
      dimension,
      from,
      to: verdict.segment,
      reason,
      scores: verdict.scores,
      ruleVersion: rules.version,
      effectiveAt,
    },
  };
}

function quadrant(highCurrent: boolean, highLongTerm: boolean): ValueQuadrant {
  if (highCurrent) return highLongTerm ? 'platinum' : 'gold';
  return highLongTerm ? 'iron' : 'lead';
}

function account(attractive: boolean, strong: boolean): AccountSegment {
  if (attractive) return strong ? 'key' : 'key_development';
  return strong ? 'maintenance' : 'opportunistic';
}

/** Change of the window's spend against the window before, −1..1, mapped to 0..1 (0.5 = flat). */
function growth(current: number, before: number): number {
  const scale = Math.max(Math.abs(current), Math.abs(before));
  if (scale === 0) return 0.5;
  return clip((current - before) / scale / 2 + 0.5);
}

function weighted(score: WeightedScore, factors: Record<KeyAccountFactor, number>): number {
  let total = 0;
  let weights = 0;
  for (const [factor, weight] of Object.entries(score.factors) as [KeyAccountFactor, number][]) {
    total += weight * factors[factor];
    weights += weight;
  }
  return weights > 0 ? total / weights : 0;
}

/** The mean mapped to 0..1, or the neutral value's mapping when nothing was given. */
function meanOr(sum: number, count: number, neutral: number, map: (mean: number) => number) {
  return clip(map(count > 0 ? sum / count : neutral));
}

function clip(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

function exact(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}
