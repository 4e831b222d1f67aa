import {
  type CustomerEvent,
  isPolicyFact,
  type PolicyFact,
  SEGMENT_DIMENSIONS,
  type SegmentDimension,
} from './customer.events';
import { evolve, fold } from './customer.evolve';
import { type CustomerState, type LiveCustomer } from './customer.state';
import { nextStage, stageAfterPurchase, stageChanged } from './lifecycle.policy';
import { type PolicyRules } from './policy-rules';
import { nextWindowExit, segmentChanged, segmentsAt, type SegmentVerdict } from './segment.policy';
import { firstMembership, nextPeriodEnd, periodEnded, upgrade } from './tier.policy';

// When the lifecycle, tier and segment policies are asked, and in which order. Time-driven
// transitions take effect at the moment their rule names; a review at `asOf` appends those due by
// then, and every policy fact first catches up as a review at its occurredAt would, so the history
// does not depend on how often reviews run. At one moment: tier, then stage, then segments (the
// long-term value depends on the stage).

/** Every time-driven transition with effectiveAt ≤ asOf, oldest first; [] when none is due. */
export function dueTransitions(
  state: CustomerState,
  asOf: string,
  rules: PolicyRules,
): CustomerEvent[] {
  const start = policyCustomer(state);
  if (!start) return [];
  const limit = Date.parse(asOf);
  // Moments up to the cursor were judged when the last fact or transition was decided; renewals
  // and unchanged segments leave no event, so later moments are judged again, with the same result.
  let tierCursor = cursorOf(start);
  let segmentCursor = tierCursor;
  let current = start;
  const events: CustomerEvent[] = [];
  for (;;) {
    const tierAt = tierMoment(current, tierCursor, rules);
    const stage = stageMoment(current, rules);
    const segment = segmentMoment(current, segmentCursor, rules);
    const at = Math.min(tierAt ?? Infinity, stage?.at ?? Infinity, segment?.at ?? Infinity);
    if (!(at <= limit)) return events;
    let decided: CustomerEvent[];
    if (tierAt === at) {
      const drop = periodEnded(
        current.customerId,
        current.activity,
        current.activity.standing.tier!,
        at,
        rules,
      );
      decided = drop ? [drop] : [];
      tierCursor = at;
    } else if (stage?.at === at) {
      const from = current.activity.standing.stage?.stage ?? null;
      decided = [stageChanged(current.customerId, from, stage, isoAt(at), rules)];
    } else {
      decided = segmentsMoved(current, () => at, segment!.reason, false, rules);
      segmentCursor = at;
    }
    for (const event of decided) {
      events.push(event);
      current = evolve(current, event) as LiveCustomer;
    }
  }
}

/**
 * The events of a touchpoint decision with the policies applied: for a policy fact of a live
 * customer, the transitions due by its occurredAt, the fact, then the transitions it causes.
 * `decided` is what recordTouchpoint returned (the fact, maybe after an implicit registration).
 */
export function withPolicies(
  decided: CustomerEvent[],
  state: CustomerState,
  rules: PolicyRules,
): CustomerEvent[] {
  const fact = decided[decided.length - 1];
  if (fact === undefined || !isPolicyFact(fact)) return decided;
  const before = decided.slice(0, -1);
  const base = fold(before, state);
  if (!policyCustomer(base)) return decided;
  const catchUp = dueTransitions(base, fact.data.occurredAt, rules);
  const applied = evolve(fold(catchUp, base), fact);
  return [...before, ...catchUp, fact, ...causedTransitions(fact, applied, rules)];
}

/**
 * Transitions a fact causes, judged on the state with the fact applied. A back-dated fact never
 * rewrites history: in each dimension its effect is judged at, and takes effect at, the later of
 * its occurredAt and the dimension's latest transition (libs/domain/README.md).
 */
export function causedTransitions(
  fact: PolicyFact,
  state: CustomerState,
  rules: PolicyRules,
): CustomerEvent[] {
  let current = policyCustomer(state);
  if (!current || current.status !== 'customer') return [];
  const customerId = current.customerId;
  const occurredAt = fact.data.occurredAt;
  const events: CustomerEvent[] = [];
  const emit = (event: CustomerEvent | null) => {
    if (!event) return;
    events.push(event);
    current = evolve(current!, event) as LiveCustomer;
  };

  if (fact.type === 'PurchaseRecorded') {
    const tier = current.activity.standing.tier;
    emit(
      tier
        ? upgrade(customerId, current.activity, tier, notBefore(occurredAt, tier.since), rules)
        : firstMembership(customerId, current.activity, occurredAt, rules),
    );
    const stage = current.activity.standing.stage;
    const at = stage ? notBefore(occurredAt, stage.since) : occurredAt;
    const firstPurchase = current.activity.purchaseCount === 1;
    const { lastPurchaseAt } = current;
    const due = stageAfterPurchase(stage, firstPurchase, lastPurchaseAt, Date.parse(at), rules);
    if (due) emit(stageChanged(customerId, stage?.stage ?? null, due, at, rules));
  }
  for (const event of segmentsMoved(
    current,
    (held) => Date.parse(held ? notBefore(occurredAt, held) : occurredAt),
    reasonOf(fact),
    fact.type !== 'PurchaseRecorded',
    rules,
    occurredAt,
  )) {
    emit(event);
  }
  return events;
}

/**
 * The earliest moment after the last judged one (or after `reviewedUpTo`, when the caller knows
 * a review ran to then) at which a time-driven transition could become due, or null when none
 * can. A review at that moment may still append nothing (a renewed tier, an unchanged segment).
 */
export function nextReviewAt(
  state: CustomerState,
  rules: PolicyRules,
  reviewedUpTo?: string,
): string | null {
  const live = policyCustomer(state);
  if (!live) return null;
  const after = Math.max(
    cursorOf(live),
    reviewedUpTo === undefined ? -Infinity : Date.parse(reviewedUpTo),
  );
  const at = Math.min(
    tierMoment(live, after, rules) ?? Infinity,
    stageMoment(live, rules)?.at ?? Infinity,
    segmentMoment(live, after, rules)?.at ?? Infinity,
  );
  return Number.isFinite(at) ? isoAt(at) : null;
}

/** The customer the policies apply to: live and not merged away. */
function policyCustomer(state: CustomerState): LiveCustomer | null {
  if (state.status !== 'prospect' && state.status !== 'customer') return null;
  return state.mergedIntoCustomerId === null ? state : null;
}

function cursorOf(live: LiveCustomer): number {
  const at = live.activity.policiesAppliedUpTo;
  return at === null ? -Infinity : Date.parse(at);
}

function tierMoment(live: LiveCustomer, after: number, rules: PolicyRules): number | null {
  const held = live.activity.standing.tier;
  return held ? nextPeriodEnd(held, after, rules) : null;
}

function stageMoment(live: LiveCustomer, rules: PolicyRules) {
  if (live.status !== 'customer') return null;
  return nextStage(live.activity.standing.stage, live.lastPurchaseAt, rules);
}

/** Segments move with time when a ledger entry leaves a window, or when the stage changed. */
function segmentMoment(
  live: LiveCustomer,
  after: number,
  rules: PolicyRules,
): { at: number; reason: string } | null {
  const { segments, stage } = live.activity.standing;
  if (Object.keys(segments).length === 0) return null;
  const exit = nextWindowExit(live.activity, after, rules) ?? Infinity;
  const staged = stage ? Date.parse(stage.since) : -Infinity;
  if (staged > after && staged <= exit) return { at: staged, reason: 'stage_change' };
  return Number.isFinite(exit) ? { at: exit, reason: 'window_exit' } : null;
}

/**
 * SegmentChanged for each dimension whose segment differs at the moment `momentFor` gives it (from
 * the effective moment of the segment held, or null). `onlyHeld`: leave dimensions without a
 * segment alone (segments start at a purchase).
 */
function segmentsMoved(
  live: LiveCustomer,
  momentFor: (heldSince: string | null) => number,
  reason: string,
  onlyHeld: boolean,
  rules: PolicyRules,
  occurredAt?: string,
): CustomerEvent[] {
  const { segments, stage } = live.activity.standing;
  const verdicts = new Map<number, Record<SegmentDimension, SegmentVerdict>>();
  const events: CustomerEvent[] = [];
  for (const dimension of SEGMENT_DIMENSIONS) {
    const held = segments[dimension];
    if (!held && onlyHeld) continue;
    const at = momentFor(held?.since ?? null);
    let verdict = verdicts.get(at);
    if (!verdict) {
      verdict = segmentsAt(live.activity, stage?.stage ?? null, at, rules);
      verdicts.set(at, verdict);
    }
    const { segment } = verdict[dimension];
    if (held?.segment === segment) continue;
    const effectiveAt =
      occurredAt !== undefined && Date.parse(occurredAt) === at ? occurredAt : isoAt(at);
    events.push(
      segmentChanged(
        live.customerId,
        dimension,
        held?.segment ?? null,
        verdict[dimension],
        reason,
        effectiveAt,
        rules,
      ),
    );
  }
  return events;
}

/** `at`, or `since` when the fact is older than the dimension's latest transition. */
function notBefore(at: string, since: string): string {
  return Date.parse(since) > Date.parse(at) ? since : at;
}

function reasonOf(fact: PolicyFact): string {
  switch (fact.type) {
    case 'PurchaseRecorded':
      return 'purchase';
    case 'RefundRecorded':
      return 'refund';
    case 'FeedbackGiven':
      return 'feedback';
    case 'ComplaintOpened':
      return 'complaint_opened';
    case 'ComplaintEscalated':
      return 'complaint_escalated';
    case 'ComplaintResolved':
      return 'complaint_resolved';
    case 'ComplaintReopened':
      return 'complaint_reopened';
  }
}

function isoAt(at: number): string {
  return new Date(at).toISOString();
}
