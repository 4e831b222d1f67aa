import {
  type LifecycleStage,
  type ProfileFields,
  type RegistrationOrigin,
  type SegmentDimension,
} from './customer.events';
import { PersistentMap } from './persistent-map';
import { TimeSeries } from './time-series';

export type Profile = Readonly<ProfileFields>;

export type ConsentStatus =
  | { readonly status: 'granted'; readonly grantedAt: string; readonly source: string }
  | { readonly status: 'withdrawn'; readonly withdrawnAt: string; readonly source: string };

export interface Membership {
  readonly enrolledAt: string;
  readonly tier: string;
}

export interface LifecyclePosition {
  readonly stage: LifecycleStage;
  readonly since: string;
}

export type ComplaintStatus = 'open' | 'escalated' | 'resolved';

/** What one order has paid, net of refunds; refunds are judged against it. */
export interface OrderBalance {
  readonly currency: string;
  readonly paid: number;
}

/** Columns of `Activity.ledger`: one entry per purchase (amounts positive) or refund (negative). */
export const LEDGER = { spend: 0, margin: 1, purchases: 2, discount: 3 } as const;
/** Columns of `Activity.feedback`. */
export const FEEDBACK = { scoreSum: 0, scores: 1, npsSum: 2, npsCount: 3 } as const;
/** Columns of `Activity.complaintLog`: openings count reopenings too. */
export const COMPLAINTS = { openings: 0, resolutions: 1 } as const;

/** What an order was bought for, to take a refund's share of its margin back. */
export interface OrderMargin {
  readonly amount: number;
  readonly margin: number;
}

export interface TierHeld {
  readonly name: string;
  /** The effective moment of the last TierChanged or the enrolment: the qualification period's anchor. */
  readonly since: string;
}

export interface SegmentHeld {
  readonly segment: string;
  readonly since: string;
}

/** Where the policies have placed the customer, each with the effective moment of its last change. */
export interface Standing {
  readonly tier: TierHeld | null;
  readonly stage: LifecyclePosition | null;
  readonly segments: Readonly<Partial<Record<SegmentDimension, SegmentHeld>>>;
}

/**
 * The non-personal record of what happened, which decisions still need after an erasure:
 * idempotency of touchpoints, refunds of earlier orders, the complaint workflow.
 */
export interface Activity {
  /** `touchpointKey(source, touchpointId)` of every recorded touchpoint. */
  readonly touchpoints: PersistentMap<true>;
  readonly orders: PersistentMap<OrderBalance>;
  readonly complaints: ReadonlyMap<string, ComplaintStatus>;
  readonly purchaseCount: number;
  /** Purchases minus refunds, all currencies added up as one amount. */
  readonly lifetimeSpend: number;
  /** The latest business time of any event, or null before the first one. */
  readonly lastEventAt: string | null;
  /** Purchases and refunds by business time (columns: LEDGER), for windowed spend and margin. */
  readonly ledger: TimeSeries;
  /** Feedback by business time (columns: FEEDBACK). */
  readonly feedback: TimeSeries;
  /** Complaint openings and resolutions by business time (columns: COMPLAINTS). */
  readonly complaintLog: TimeSeries;
  readonly orderMargins: PersistentMap<OrderMargin>;
  readonly standing: Standing;
  /**
   * The latest business moment up to which the policies have judged everything: the latest fact
   * they were applied to (each first catches up on what was due) or transition they appended.
   */
  readonly policiesAppliedUpTo: string | null;
}

interface KnownCustomer {
  readonly customerId: string;
  readonly origin: RegistrationOrigin;
  readonly registeredAt: string;
  readonly profile: Profile;
  readonly consents: ReadonlyMap<string, ConsentStatus>;
  readonly membership: Membership | null;
  readonly lifecycle: LifecyclePosition | null;
  /** Set once the customer was merged into another: the stream takes no new facts. */
  readonly mergedIntoCustomerId: string | null;
  readonly activity: Activity;
}

export interface UnknownCustomer {
  readonly status: 'unknown';
}

/** Known, never bought. */
export interface Prospect extends KnownCustomer {
  readonly status: 'prospect';
}

/** Bought at least once; a refund does not undo that. */
export interface PayingCustomer extends KnownCustomer {
  readonly status: 'customer';
  readonly firstPurchaseAt: string;
  readonly lastPurchaseAt: string;
}

/** Personal data is gone for good: no profile, consents, membership or registration details. */
export interface ErasedCustomer {
  readonly status: 'erased';
  readonly customerId: string;
  readonly erasedAt: string;
  readonly activity: Activity;
}

export type CustomerState = UnknownCustomer | Prospect | PayingCustomer | ErasedCustomer;
export type LiveCustomer = Prospect | PayingCustomer;

export const initialState: CustomerState = { status: 'unknown' };

export const emptyActivity: Activity = {
  touchpoints: PersistentMap.empty(),
  orders: PersistentMap.empty(),
  complaints: new Map(),
  purchaseCount: 0,
  lifetimeSpend: 0,
  lastEventAt: null,
  ledger: TimeSeries.empty(4),
  feedback: TimeSeries.empty(4),
  complaintLog: TimeSeries.empty(2),
  orderMargins: PersistentMap.empty(),
  standing: { tier: null, stage: null, segments: {} },
  policiesAppliedUpTo: null,
};
