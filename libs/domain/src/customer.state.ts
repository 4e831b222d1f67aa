import {
  type LifecycleStage,
  type ProfileFields,
  type RegistrationOrigin,
} from './customer.events';
import { PersistentMap } from './persistent-map';

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
};
