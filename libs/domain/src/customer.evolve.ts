import {
  type CustomerEvent,
  type EventData,
  eventOccurredAt,
  isPolicyFact,
  isTouchpointEvent,
  type ProfileFields,
  type TouchpointEvent,
} from './customer.events';
import {
  type Activity,
  COMPLAINTS,
  type ComplaintStatus,
  type ConsentStatus,
  type CustomerState,
  emptyActivity,
  FEEDBACK,
  initialState,
  LEDGER,
  type LiveCustomer,
  type Profile,
  type Standing,
} from './customer.state';
import { touchpointKey } from './event-id';
import { assertNever } from './guards';
import { addMoney, subtractMoney } from './money';
import { earlierOf, laterOf } from './time';

/**
 * Applies one stored fact. Total and forgiving: history is what it is, so an event that does not
 * fit the state (a touchpoint before registration, a second registration) is ignored, never thrown.
 */
export function evolve(state: CustomerState, event: CustomerEvent): CustomerState {
  if (isTouchpointEvent(event)) return touchpointRecorded(state, event);
  const at = eventOccurredAt(event);
  switch (event.type) {
    case 'CustomerRegistered':
      return registered(state, event.data);
    case 'CustomerProfileChanged':
      return updateLive(state, at, (live) => ({
        ...live,
        profile: mergeProfile(live.profile, event.data.changes),
      }));
    case 'ConsentGranted':
      return setConsent(state, at, event.data.purpose, {
        status: 'granted',
        grantedAt: event.data.grantedAt,
        source: event.data.source,
      });
    case 'ConsentWithdrawn':
      return setConsent(state, at, event.data.purpose, {
        status: 'withdrawn',
        withdrawnAt: event.data.withdrawnAt,
        source: event.data.source,
      });
    case 'MembershipEnrolled':
      return updateLive(state, at, (live) =>
        live.membership
          ? live
          : withStanding(
              {
                ...live,
                membership: { enrolledAt: event.data.enrolledAt, tier: event.data.tier },
              },
              { tier: { name: event.data.tier, since: event.data.enrolledAt } },
            ),
      );
    case 'TierChanged':
      return updateLive(state, at, (live) =>
        withStanding(
          {
            ...live,
            // A first tier (`from: null`) is how the tier policy makes a buyer a member.
            membership: { enrolledAt: live.membership?.enrolledAt ?? at, tier: event.data.to },
          },
          { tier: { name: event.data.to, since: at } },
          at,
        ),
      );
    case 'LifecycleStageChanged':
      return updateLive(state, at, (live) =>
        withStanding(
          { ...live, lifecycle: { stage: event.data.to, since: at } },
          { stage: { stage: event.data.to, since: at } },
          at,
        ),
      );
    case 'SegmentChanged':
      return updateLive(state, at, (live) =>
        withStanding(
          live,
          {
            segments: {
              ...live.activity.standing.segments,
              [event.data.dimension]: { segment: event.data.to, since: at },
            },
          },
          at,
        ),
      );
    case 'CustomerMerged':
      return updateLive(state, at, (live) => ({
        ...live,
        mergedIntoCustomerId: event.data.mergedIntoCustomerId,
      }));
    case 'CustomerErased':
      return erased(state, event.data);
    default:
      return assertNever(event);
  }
}

/** The state after a sequence of events, oldest first. */
export function fold(
  events: Iterable<CustomerEvent>,
  state: CustomerState = initialState,
): CustomerState {
  let current = state;
  for (const event of events) current = evolve(current, event);
  return current;
}

function registered(state: CustomerState, data: EventData<'CustomerRegistered'>): CustomerState {
  if (state.status !== 'unknown') return state;
  return {
    status: 'prospect',
    customerId: data.customerId,
    origin: data.origin,
    registeredAt: data.registeredAt,
    profile: mergeProfile({}, data),
    consents: new Map(),
    membership: null,
    lifecycle: null,
    mergedIntoCustomerId: null,
    activity: touched(emptyActivity, data.registeredAt),
  };
}

function erased(state: CustomerState, data: EventData<'CustomerErased'>): CustomerState {
  if (state.status === 'erased') return state;
  const activity = state.status === 'unknown' ? emptyActivity : state.activity;
  // Built field by field so that nothing personal of the live state can leak into it.
  return {
    status: 'erased',
    customerId: data.customerId,
    erasedAt: data.erasedAt,
    activity: touched(activity, data.erasedAt),
  };
}

function touchpointRecorded(state: CustomerState, event: TouchpointEvent): CustomerState {
  if (state.status === 'unknown') return state;
  const { source, touchpointId, occurredAt } = event.data;
  const seen = {
    ...touched(state.activity, occurredAt),
    touchpoints: state.activity.touchpoints.set(touchpointKey(source, touchpointId), true),
  };
  const applied = applyToActivity(seen, event);
  const activity = isPolicyFact(event) ? policiesApplied(applied, occurredAt) : applied;
  if (event.type === 'PurchaseRecorded' && state.status !== 'erased') {
    return purchased({ ...state, activity }, occurredAt);
  }
  return { ...state, activity };
}

function applyToActivity(activity: Activity, event: TouchpointEvent): Activity {
  const at = Date.parse(event.data.occurredAt);
  switch (event.type) {
    case 'PurchaseRecorded':
      return purchaseApplied(activity, event.data, at);
    case 'RefundRecorded':
      return refundApplied(activity, event.data, at);
    case 'FeedbackGiven':
      return feedbackApplied(activity, event.data, at);
    case 'ComplaintOpened':
    case 'ComplaintReopened':
      return complaintLogged(withComplaint(activity, event.data.complaintId, 'open'), at, 1, 0);
    case 'ComplaintEscalated':
      return withComplaint(activity, event.data.complaintId, 'escalated');
    case 'ComplaintResolved':
      return complaintLogged(withComplaint(activity, event.data.complaintId, 'resolved'), at, 0, 1);
    default:
      return activity;
  }
}

function purchaseApplied(
  activity: Activity,
  data: EventData<'PurchaseRecorded'>,
  at: number,
): Activity {
  const before = activity.orders.get(data.orderId);
  const margin = data.margin ?? 0;
  const entry = [0, 0, 0, 0];
  entry[LEDGER.spend] = data.amount;
  entry[LEDGER.margin] = margin;
  entry[LEDGER.purchases] = 1;
  entry[LEDGER.discount] = data.discount ?? 0;
  const bought = activity.orderMargins.get(data.orderId);
  return {
    ...activity,
    orders: activity.orders.set(data.orderId, {
      currency: before?.currency ?? data.currency,
      paid: addMoney(before?.paid ?? 0, data.amount),
    }),
    purchaseCount: activity.purchaseCount + 1,
    lifetimeSpend: addMoney(activity.lifetimeSpend, data.amount),
    ledger: activity.ledger.add(at, entry),
    orderMargins:
      data.margin === undefined
        ? activity.orderMargins
        : activity.orderMargins.set(data.orderId, {
            amount: addMoney(bought?.amount ?? 0, data.amount),
            margin: addMoney(bought?.margin ?? 0, margin),
          }),
  };
}

function refundApplied(
  activity: Activity,
  data: EventData<'RefundRecorded'>,
  at: number,
): Activity {
  const order = activity.orders.get(data.orderId);
  // A refund takes back its share of the order's margin: refunding half the order, half the margin.
  const bought = activity.orderMargins.get(data.orderId);
  const margin = bought && bought.amount > 0 ? (data.amount * bought.margin) / bought.amount : 0;
  const entry = [0, 0, 0, 0];
  entry[LEDGER.spend] = -data.amount;
  entry[LEDGER.margin] = -margin;
  return {
    ...activity,
    ledger: activity.ledger.add(at, entry),
    orders: order
      ? activity.orders.set(data.orderId, {
          ...order,
          paid: subtractMoney(order.paid, data.amount),
        })
      : activity.orders,
    lifetimeSpend: subtractMoney(activity.lifetimeSpend, data.amount),
  };
}

function feedbackApplied(
  activity: Activity,
  data: EventData<'FeedbackGiven'>,
  at: number,
): Activity {
  const entry = [0, 0, 0, 0];
  if (data.score !== undefined) {
    entry[FEEDBACK.scoreSum] = data.score;
    entry[FEEDBACK.scores] = 1;
  }
  if (data.nps !== undefined) {
    entry[FEEDBACK.npsSum] = data.nps;
    entry[FEEDBACK.npsCount] = 1;
  }
  return { ...activity, feedback: activity.feedback.add(at, entry) };
}

function complaintLogged(
  activity: Activity,
  at: number,
  openings: number,
  resolutions: number,
): Activity {
  const entry = [0, 0];
  entry[COMPLAINTS.openings] = openings;
  entry[COMPLAINTS.resolutions] = resolutions;
  return { ...activity, complaintLog: activity.complaintLog.add(at, entry) };
}

function policiesApplied(activity: Activity, at: string): Activity {
  const before = activity.policiesAppliedUpTo;
  return { ...activity, policiesAppliedUpTo: before === null ? at : laterOf(before, at) };
}

function withStanding(live: LiveCustomer, change: Partial<Standing>, at?: string): LiveCustomer {
  const activity = { ...live.activity, standing: { ...live.activity.standing, ...change } };
  return { ...live, activity: at === undefined ? activity : policiesApplied(activity, at) };
}

function withComplaint(activity: Activity, complaintId: string, status: ComplaintStatus): Activity {
  const complaints = new Map(activity.complaints);
  complaints.set(complaintId, status);
  return { ...activity, complaints };
}

// Backfills arrive out of order, so the first and last purchase are the extremes, not the latest.
function purchased(live: LiveCustomer, occurredAt: string): LiveCustomer {
  if (live.status === 'prospect') {
    return { ...live, status: 'customer', firstPurchaseAt: occurredAt, lastPurchaseAt: occurredAt };
  }
  return {
    ...live,
    firstPurchaseAt: earlierOf(live.firstPurchaseAt, occurredAt),
    lastPurchaseAt: laterOf(live.lastPurchaseAt, occurredAt),
  };
}

function setConsent(
  state: CustomerState,
  at: string,
  purpose: string,
  consent: ConsentStatus,
): CustomerState {
  return updateLive(state, at, (live) => {
    const consents = new Map(live.consents);
    consents.set(purpose, consent);
    return { ...live, consents };
  });
}

/** Applies a change that only makes sense while the customer's personal record exists. */
function updateLive(
  state: CustomerState,
  at: string,
  change: (live: LiveCustomer) => LiveCustomer,
): CustomerState {
  if (state.status !== 'prospect' && state.status !== 'customer') return state;
  const next = change(state);
  return { ...next, activity: touched(next.activity, at) };
}

function touched(activity: Activity, at: string): Activity {
  const lastEventAt = activity.lastEventAt === null ? at : laterOf(activity.lastEventAt, at);
  return lastEventAt === activity.lastEventAt ? activity : { ...activity, lastEventAt };
}

function mergeProfile(profile: Profile, changes: ProfileFields): Profile {
  const merged: ProfileFields = { ...profile };
  if (changes.name !== undefined) merged.name = changes.name;
  if (changes.email !== undefined) merged.email = changes.email;
  if (changes.phone !== undefined) merged.phone = changes.phone;
  if (changes.region !== undefined) merged.region = changes.region;
  return merged;
}
