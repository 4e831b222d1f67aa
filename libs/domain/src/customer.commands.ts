import {
  type ComplaintSeverity,
  type ProfileFields,
  type TouchpointAttributes,
  type TouchpointBase,
} from './customer.events';

// Commands carry every input a decision needs, including the current time (`now`, ISO-8601):
// the decider reads no clock and generates no ids.

export type RegisterCustomer = ProfileFields & {
  type: 'RegisterCustomer';
  customerId: string;
  /** When the customer registered in the emitting system; defaults to `now`. */
  occurredAt?: string;
  now: string;
};

/** Fields left undefined are not changed. */
export type ChangeProfile = ProfileFields & {
  type: 'ChangeProfile';
  customerId: string;
  now: string;
};

/** What every touchpoint command carries: the fields of every touchpoint event, and the time of the decision. */
export interface TouchpointCommon extends TouchpointBase {
  type: 'RecordTouchpoint';
  now: string;
}

/** Kind-specific fields, as the API's `kind` names them. */
export type TouchpointDetails =
  | {
      kind: 'purchase';
      orderId: string;
      amount: number;
      /** Defaults to DEFAULT_CURRENCY. */
      currency?: string;
      margin?: number;
      discount?: number;
    }
  | {
      kind: 'refund';
      orderId: string;
      amount: number;
      /** Defaults to the order's currency; a different one is refused. */
      currency?: string;
    }
  | { kind: 'inquiry'; topic?: string }
  | {
      kind: 'complaint_opened';
      complaintId: string;
      category: string;
      /** Defaults to 'medium'. */
      severity?: ComplaintSeverity;
    }
  | { kind: 'complaint_escalated'; complaintId: string; level?: string; reason?: string }
  | { kind: 'complaint_resolved'; complaintId: string; resolution: string; satisfied?: boolean }
  | { kind: 'complaint_reopened'; complaintId: string; reason?: string }
  | { kind: 'feedback'; score?: number; nps?: number; comment?: string }
  | { kind: 'service_request'; requestId?: string; requestType?: string }
  | { kind: 'marketing_contact'; campaignId?: string; outcome?: string }
  | { kind: 'visit'; page?: string; durationSeconds?: number }
  | { kind: 'other'; subtype?: string; attributes?: TouchpointAttributes };

export type RecordTouchpoint = TouchpointCommon & TouchpointDetails;

/** A RecordTouchpoint of one kind, e.g. `TouchpointOf<'purchase'>`. */
export type TouchpointOf<K extends RecordTouchpoint['kind']> = Extract<
  RecordTouchpoint,
  { kind: K }
>;

export interface GrantConsent {
  type: 'GrantConsent';
  customerId: string;
  purpose: string;
  source: string;
  now: string;
}

export interface WithdrawConsent {
  type: 'WithdrawConsent';
  customerId: string;
  purpose: string;
  source: string;
  now: string;
}

export interface EnrollMembership {
  type: 'EnrollMembership';
  customerId: string;
  /** Defaults to 'basic'. */
  tier?: string;
  now: string;
}

export interface EraseCustomer {
  type: 'EraseCustomer';
  customerId: string;
  reason?: string;
  now: string;
}

/**
 * Appends every time-driven lifecycle, tier and segment transition due by `asOf`, each effective at
 * the moment its rule names (not `now`). Idempotent: a second review for the same `asOf` appends nothing.
 */
export interface ReviewCustomer {
  type: 'ReviewCustomer';
  customerId: string;
  asOf: string;
  now: string;
}

export type CustomerCommand =
  | RegisterCustomer
  | ChangeProfile
  | RecordTouchpoint
  | GrantConsent
  | WithdrawConsent
  | EnrollMembership
  | EraseCustomer
  | ReviewCustomer;

export const DEFAULT_CURRENCY = 'EUR';
export const DEFAULT_COMPLAINT_SEVERITY: ComplaintSeverity = 'medium';
export const DEFAULT_MEMBERSHIP_TIER = 'basic';
