import {
  type CustomerEvent,
  type EventData,
  isTouchpointEvent,
  TOUCHPOINT_KIND_BY_EVENT_TYPE,
  type TouchpointEvent,
} from '@app/domain';
import type { Db } from 'mongodb';
import {
  addDays,
  asCustomerEvent,
  customerIdOf,
  instant,
  utcDay,
} from '../projection/customer-event';
import { documentFolds, type DocumentFolder } from '../projection/document-fold';
import { type Projection, type ProjectedEvent, storedPosition } from '../projection/projection';
import { type ProfileDocument, PROFILES_COLLECTION, type SealedField } from './profile.document';

/** The rule thresholds that decide when a customer next needs a review (a subset of the rules file). */
export interface ReviewThresholds {
  tiers: { windowDays: number; levels: ReadonlyArray<{ name: string }> };
  lifecycle: { newForDays: number; atRiskAfterDays: number; churnedAfterDays: number };
  valueMatrix?: { windowDays?: number };
}

export function profilesProjection(rules: ReviewThresholds): Projection {
  const folder = profileFolder(rules);
  return {
    name: 'profiles',
    collections: [PROFILES_COLLECTION],
    async setup(db: Db) {
      await db
        .collection(PROFILES_COLLECTION)
        .createIndexes([
          { key: { 'lifecycle.level': 1, _id: 1 } },
          { key: { 'tier.level': 1, _id: 1 } },
          { key: { 'quadrant.level': 1, _id: 1 } },
          { key: { 'account.level': 1, _id: 1 } },
          { key: { region: 1, _id: 1 } },
          { key: { nextReviewAt: 1 } },
        ]);
    },
    ...documentFolds([[PROFILES_COLLECTION, folder]]),
  };
}

export function profileFolder(rules: ReviewThresholds): DocumentFolder<ProfileDocument> {
  // Documents this folder made (copies of stored ones): later events of the batch change them in place instead of
  // copying the whole profile again for every event.
  const own = new WeakSet<ProfileDocument>();
  return {
    keys: (event) => {
      const id = customerIdOf(event);
      return id === null ? [] : [id];
    },
    apply: (current, projected, customerId) => {
      const event = asCustomerEvent(projected);
      if (!event) return current;
      const doc =
        current && own.has(current)
          ? current
          : structuredClone(current ?? emptyProfile(customerId));
      applyToProfile(doc, event);
      own.add(doc);
      return doc;
    },
    finish: (doc) => finishProfile(doc, rules),
  };
}

/**
 * The profile a projector would hold after these events of one customer (in stream order), without storing it:
 * the same per-event code as the live read model, the same review moment, `position` of the last event applied.
 * `pending` are events not stored (yet), applied after them: transitions a review would append (as-of queries).
 */
export function foldProfile(
  customerId: string,
  events: Iterable<ProjectedEvent>,
  rules: ReviewThresholds,
  pending: readonly CustomerEvent[] = [],
): ProfileDocument {
  const doc = emptyProfile(customerId);
  for (const projected of events) foldStoredIntoProfile(doc, projected);
  return finishProfile(doc, rules, pending);
}

/** One step of foldProfile: a stored event applied to a profile being folded (changed in place). */
export function foldStoredIntoProfile(doc: ProfileDocument, projected: ProjectedEvent): void {
  const event = asCustomerEvent(projected);
  if (!event) return;
  applyToProfile(doc, event);
  doc.position = storedPosition(projected.position);
}

/** The last step of foldProfile: pending transitions and the review moment (changes `doc` in place). */
export function finishProfile(
  doc: ProfileDocument,
  rules: ReviewThresholds,
  pending: readonly CustomerEvent[] = [],
): ProfileDocument {
  for (const event of pending) applyToProfile(doc, event);
  doc.nextReviewAt = nextReviewAt(doc, rules);
  return doc;
}

export function emptyProfile(customerId: string): ProfileDocument {
  return {
    _id: customerId,
    position: -1,
    customerId,
    status: 'live',
    origin: null,
    registeredAt: null,
    region: null,
    personal: {},
    firstSeenAt: null,
    lastSeenAt: null,
    counts: { touchpoints: 0, byChannel: {}, byKind: {}, byDirection: {} },
    spend: {
      lifetime: 0,
      refunded: 0,
      margin: 0,
      purchases: 0,
      refunds: 0,
      averageOrderValue: null,
    },
    spendByDay: [],
    firstPurchaseAt: null,
    lastPurchaseAt: null,
    lastPurchase: null,
    satisfaction: {
      scores: 0,
      scoreSum: 0,
      meanScore: null,
      npsAnswers: 0,
      npsSum: 0,
      meanNps: null,
      lastFeedbackAt: null,
    },
    complaints: { opened: 0, resolved: 0, escalated: 0, reopened: 0, open: [] },
    consents: {},
    lifecycle: null,
    tier: null,
    quadrant: null,
    account: null,
    mergedInto: null,
    erasedAt: null,
    nextReviewAt: null,
  };
}

/**
 * The profile after one event. Works on a deep copy, so the document it was given is never changed (the fold keeps
 * it to compare). Events that do not fit (a touchpoint after erasure carrying personal data cannot exist) are
 * applied as far as they make sense, like the domain's evolve.
 */
export function evolveProfile(before: ProfileDocument, event: CustomerEvent): ProfileDocument {
  return applyToProfile(structuredClone(before), event);
}

/**
 * What `evolveProfile` does, on the document itself: for folds that own their document (as-of queries fold a whole
 * stream into one fresh document, where a copy per event would cost more than the fold).
 */
export function applyToProfile(doc: ProfileDocument, event: CustomerEvent): ProfileDocument {
  if (isTouchpointEvent(event)) {
    touchpoint(doc, event);
    return doc;
  }
  switch (event.type) {
    case 'CustomerRegistered': {
      const { data } = event;
      doc.origin = data.origin;
      doc.registeredAt = instant(data.registeredAt);
      if (data.region !== undefined) doc.region = data.region;
      setPersonal(doc, 'name', data.name, 'name');
      setPersonal(doc, 'email', data.email, 'email');
      setPersonal(doc, 'phone', data.phone, 'phone');
      seen(doc, doc.registeredAt);
      doc.lifecycle ??= {
        level: 'prospect',
        since: doc.registeredAt,
        reason: 'registered',
        ruleVersion: null,
      };
      return doc;
    }
    case 'CustomerProfileChanged': {
      const { changes } = event.data;
      if (changes.region !== undefined) doc.region = changes.region;
      setPersonal(doc, 'name', changes.name, 'changes.name');
      setPersonal(doc, 'email', changes.email, 'changes.email');
      setPersonal(doc, 'phone', changes.phone, 'changes.phone');
      seen(doc, instant(event.data.changedAt));
      return doc;
    }
    case 'ConsentGranted':
      if (doc.status !== 'erased') {
        const { purpose, grantedAt, source } = event.data;
        doc.consents[purpose] = { status: 'granted', at: instant(grantedAt), source };
      }
      return doc;
    case 'ConsentWithdrawn':
      if (doc.status !== 'erased') {
        const { purpose, withdrawnAt, source } = event.data;
        doc.consents[purpose] = { status: 'withdrawn', at: instant(withdrawnAt), source };
      }
      return doc;
    case 'MembershipEnrolled':
      if (doc.status === 'live' && !doc.tier) {
        doc.tier = {
          level: event.data.tier,
          since: instant(event.data.enrolledAt),
          reason: 'enrolled',
          ruleVersion: null,
          qualifyingAmount: 0,
        };
      }
      return doc;
    case 'TierChanged': {
      const { data } = event;
      if (doc.status !== 'live') return doc;
      doc.tier = {
        level: data.to,
        since: instant(data.effectiveAt),
        reason: data.reason,
        ruleVersion: data.ruleVersion,
        qualifyingAmount: data.qualifyingAmount,
      };
      return doc;
    }
    case 'LifecycleStageChanged': {
      const { data } = event;
      if (doc.status !== 'live') return doc;
      const ruleVersion = (data as { ruleVersion?: string }).ruleVersion ?? null;
      doc.lifecycle = {
        level: data.to,
        since: instant(data.effectiveAt),
        reason: data.reason,
        ruleVersion,
      };
      return doc;
    }
    case 'SegmentChanged': {
      const { data } = event;
      if (doc.status !== 'live') return doc;
      doc[data.dimension] = {
        level: data.to,
        since: instant(data.effectiveAt),
        reason: data.reason,
        ruleVersion: data.ruleVersion,
        scores: data.scores,
      };
      return doc;
    }
    case 'CustomerMerged':
      if (doc.status === 'live') {
        doc.status = 'merged';
        doc.mergedInto = event.data.mergedIntoCustomerId;
        closeDimensions(doc);
      }
      return doc;
    case 'CustomerErased':
      erase(doc, event.data);
      return doc;
    default:
      return doc;
  }
}

function touchpoint(doc: ProfileDocument, event: TouchpointEvent): void {
  const { data } = event;
  const at = instant(data.occurredAt);
  seen(doc, at);
  const counts = doc.counts;
  counts.touchpoints += 1;
  const kind = TOUCHPOINT_KIND_BY_EVENT_TYPE[event.type];
  counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
  counts.byChannel[data.channel] = (counts.byChannel[data.channel] ?? 0) + 1;
  counts.byDirection[data.direction] = (counts.byDirection[data.direction] ?? 0) + 1;
  switch (event.type) {
    case 'PurchaseRecorded':
      purchase(doc, event.data, at);
      return;
    case 'RefundRecorded':
      doc.spend.lifetime = addMoney(doc.spend.lifetime, -event.data.amount);
      doc.spend.refunded = addMoney(doc.spend.refunded, event.data.amount);
      doc.spend.refunds += 1;
      addDaySpend(doc, at, -event.data.amount, 0);
      return;
    case 'FeedbackGiven': {
      const s = doc.satisfaction;
      if (event.data.score !== undefined) {
        s.scores += 1;
        s.scoreSum += event.data.score;
        s.meanScore = round(s.scoreSum / s.scores);
      }
      if (event.data.nps !== undefined) {
        s.npsAnswers += 1;
        s.npsSum += event.data.nps;
        s.meanNps = round(s.npsSum / s.npsAnswers);
      }
      s.lastFeedbackAt = latest(s.lastFeedbackAt, at);
      return;
    }
    case 'ComplaintOpened':
      doc.complaints.opened += 1;
      openComplaint(doc, event.data.complaintId);
      return;
    case 'ComplaintReopened':
      doc.complaints.reopened += 1;
      openComplaint(doc, event.data.complaintId);
      return;
    case 'ComplaintEscalated':
      doc.complaints.escalated += 1;
      return;
    case 'ComplaintResolved':
      doc.complaints.resolved += 1;
      doc.complaints.open = doc.complaints.open.filter((id) => id !== event.data.complaintId);
      return;
    default:
      return;
  }
}

function purchase(doc: ProfileDocument, data: EventData<'PurchaseRecorded'>, at: Date): void {
  const spend = doc.spend;
  spend.lifetime = addMoney(spend.lifetime, data.amount);
  spend.margin = addMoney(spend.margin, data.margin ?? 0);
  spend.purchases += 1;
  spend.averageOrderValue = round((spend.lifetime + spend.refunded) / spend.purchases);
  addDaySpend(doc, at, data.amount, data.margin ?? 0);
  doc.firstPurchaseAt = doc.firstPurchaseAt && doc.firstPurchaseAt <= at ? doc.firstPurchaseAt : at;
  if (!doc.lastPurchaseAt || at >= doc.lastPurchaseAt) {
    doc.lastPurchaseAt = at;
    doc.lastPurchase = { orderId: data.orderId, amount: data.amount, currency: data.currency, at };
  }
}

function addDaySpend(doc: ProfileDocument, at: Date, amount: number, margin: number): void {
  const day = utcDay(at);
  const days = doc.spendByDay;
  // Kept sorted by day; most events are the newest day, so search from the end.
  let index = days.length - 1;
  while (index >= 0 && days[index].day > day) index -= 1;
  if (index >= 0 && days[index].day.getTime() === day.getTime()) {
    days[index].amount = addMoney(days[index].amount, amount);
    days[index].margin = addMoney(days[index].margin, margin);
  } else {
    days.splice(index + 1, 0, { day, amount, margin });
  }
}

function openComplaint(doc: ProfileDocument, complaintId: string): void {
  if (!doc.complaints.open.includes(complaintId)) doc.complaints.open.push(complaintId);
}

function setPersonal(
  doc: ProfileDocument,
  field: 'name' | 'email' | 'phone',
  value: string | undefined,
  path: string,
): void {
  if (value === undefined || doc.status === 'erased') return;
  const sealed: SealedField = { sealed: value, path };
  doc.personal[field] = sealed;
}

function erase(doc: ProfileDocument, data: EventData<'CustomerErased'>): void {
  if (doc.status === 'erased') return;
  doc.status = 'erased';
  doc.erasedAt = instant(data.erasedAt);
  doc.personal = {};
  doc.consents = {};
  closeDimensions(doc);
}

// An erased or merged customer holds no stage, tier or segment from then on (the transition history keeps them).
function closeDimensions(doc: ProfileDocument): void {
  doc.lifecycle = null;
  doc.tier = null;
  doc.quadrant = null;
  doc.account = null;
}

function seen(doc: ProfileDocument, at: Date): void {
  doc.firstSeenAt = doc.firstSeenAt && doc.firstSeenAt <= at ? doc.firstSeenAt : at;
  doc.lastSeenAt = latest(doc.lastSeenAt, at);
}

function latest(a: Date | null, b: Date): Date {
  return a && a >= b ? a : b;
}

// Sums rounded to a millionth, as the domain rounds money, so float drift never shows in a figure.
function round(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}

function addMoney(a: number, b: number): number {
  return round(a + b);
}

/**
 * The earliest moment at which a review could append a transition for this customer: a lifecycle threshold, the
 * end of the tier's qualification period, or the day a purchase leaves the trailing value window. It may be early
 * (a period that renews appends nothing, so the customer is visited again at the next review); it is never late.
 */
export function nextReviewAt(doc: ProfileDocument, rules: ReviewThresholds): Date | null {
  if (doc.status !== 'live' || !doc.lastPurchaseAt || !doc.firstPurchaseAt) return null;
  const candidates: Date[] = [];
  const stage = doc.lifecycle?.level;
  const { newForDays, atRiskAfterDays, churnedAfterDays } = rules.lifecycle;
  if (stage === 'new') candidates.push(addDays(doc.firstPurchaseAt, newForDays));
  if (stage === 'new' || stage === 'active')
    candidates.push(addDays(doc.lastPurchaseAt, atRiskAfterDays));
  if (stage === 'at_risk') candidates.push(addDays(doc.lastPurchaseAt, churnedAfterDays));
  const lowest = rules.tiers.levels[0]?.name;
  if (doc.tier && doc.tier.level !== lowest) {
    // Every purchase first applies what fell due before it, so only period ends after the last one are pending.
    const window = rules.tiers.windowDays;
    let end = addDays(doc.tier.since, window);
    while (end <= doc.lastPurchaseAt) end = addDays(end, window);
    candidates.push(end);
  }
  // Segments are judged again when a purchase or refund leaves the value window (at + window) or the window before
  // it that growth compares against (at + 2 windows). Days stand for their entries, so a candidate is never late.
  const window = rules.valueMatrix?.windowDays ?? 365;
  const judgedUpTo = [doc.tier, doc.lifecycle, doc.quadrant, doc.account].reduce(
    (latest, held) => (held && held.since > latest ? held.since : latest),
    doc.lastPurchaseAt,
  );
  for (const { day } of doc.spendByDay) {
    for (const exit of [addDays(day, window), addDays(day, 2 * window)]) {
      if (addDays(exit, 1) > judgedUpTo) candidates.push(exit);
    }
  }
  if (candidates.length === 0) return null;
  return candidates.reduce((a, b) => (a <= b ? a : b));
}
