import {
  type CustomerEvent,
  type EventData,
  eventOccurredAt,
  isTouchpointEvent,
  type ProfileFields,
  type TouchpointEvent,
} from './customer.events';
import {
  type Activity,
  type ComplaintStatus,
  type ConsentStatus,
  type CustomerState,
  emptyActivity,
  initialState,
  type LiveCustomer,
  type Profile,
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
      return updateLive(state, at, (live) => ({
        ...live,
        membership: live.membership ?? { enrolledAt: event.data.enrolledAt, tier: event.data.tier },
      }));
    case 'TierChanged':
      return updateLive(state, at, (live) => ({
        ...live,
        // A first tier (`from: null`) is how the tier policy makes a buyer a member.
        membership: { enrolledAt: live.membership?.enrolledAt ?? at, tier: event.data.to },
      }));
    case 'LifecycleStageChanged':
      return updateLive(state, at, (live) => ({
        ...live,
        lifecycle: { stage: event.data.to, since: at },
      }));
    case 'SegmentChanged':
      // Segments are the read side's dimensions; decisions do not depend on them yet.
      return updateLive(state, at, (live) => live);
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
  const activity = applyToActivity(seen, event);
  if (event.type === 'PurchaseRecorded' && state.status !== 'erased') {
    return purchased({ ...state, activity }, occurredAt);
  }
  return { ...state, activity };
}

function applyToActivity(activity: Activity, event: TouchpointEvent): Activity {
  switch (event.type) {
    case 'PurchaseRecorded':
      return purchaseApplied(activity, event.data);
    case 'RefundRecorded':
      return refundApplied(activity, event.data);
    case 'ComplaintOpened':
    case 'ComplaintReopened':
      return withComplaint(activity, event.data.complaintId, 'open');
    case 'ComplaintEscalated':
      return withComplaint(activity, event.data.complaintId, 'escalated');
    case 'ComplaintResolved':
      return withComplaint(activity, event.data.complaintId, 'resolved');
    default:
      return activity;
  }
}

function purchaseApplied(activity: Activity, data: EventData<'PurchaseRecorded'>): Activity {
  const before = activity.orders.get(data.orderId);
  return {
    ...activity,
    orders: activity.orders.set(data.orderId, {
      currency: before?.currency ?? data.currency,
      paid: addMoney(before?.paid ?? 0, data.amount),
    }),
    purchaseCount: activity.purchaseCount + 1,
    lifetimeSpend: addMoney(activity.lifetimeSpend, data.amount),
  };
}

function refundApplied(activity: Activity, data: EventData<'RefundRecorded'>): Activity {
  const order = activity.orders.get(data.orderId);
  return {
    ...activity,
    orders: order
      ? activity.orders.set(data.orderId, {
          ...order,
          paid: subtractMoney(order.paid, data.amount),
        })
      : activity.orders,
    lifetimeSpend: subtractMoney(activity.lifetimeSpend, data.amount),
  };
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
