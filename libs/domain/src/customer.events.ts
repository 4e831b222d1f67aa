// The facts of one customer stream (`customer-<id>`). Payloads are plain JSON: the event-store adapter
// adds the metadata envelope (eventId, recordedAt, actor, correlation, schemaVersion) around them.
// All timestamps are ISO-8601 strings in business time.

export const CHANNELS = [
  'store',
  'phone',
  'email',
  'web',
  'app',
  'chat',
  'social',
  'field_visit',
  'mail',
] as const;
export type Channel = (typeof CHANNELS)[number];

/** inbound: the customer reached us; outbound: we reached the customer. */
export const DIRECTIONS = ['inbound', 'outbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const COMPLAINT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type ComplaintSeverity = (typeof COMPLAINT_SEVERITIES)[number];

export const LIFECYCLE_STAGES = ['prospect', 'new', 'active', 'at_risk', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export type RegistrationOrigin = 'registration' | 'touchpoint';

export type ProfileFields = {
  name?: string;
  email?: string;
  phone?: string;
  region?: string;
};

export type CustomerRegistered = {
  type: 'CustomerRegistered';
  data: ProfileFields & {
    customerId: string;
    origin: RegistrationOrigin;
    registeredAt: string;
  };
};

export type CustomerProfileChanged = {
  type: 'CustomerProfileChanged';
  /** `changes` holds only the fields whose value differs from the profile before. */
  data: { customerId: string; changes: ProfileFields; changedAt: string };
};

/** Fields every touchpoint carries, whatever its kind. */
export type TouchpointBase = {
  customerId: string;
  /** The emitter's own id; with `source` it identifies the touchpoint for idempotency. */
  touchpointId: string;
  source: string;
  occurredAt: string;
  channel: Channel;
  direction: Direction;
  department?: string;
  agentId?: string;
  product?: string;
  region?: string;
  /** Free text written about the customer: personal data, encrypted per customer. */
  note?: string;
};

export type PurchaseRecorded = {
  type: 'PurchaseRecorded';
  data: TouchpointBase & {
    orderId: string;
    amount: number;
    currency: string;
    margin?: number;
    discount?: number;
  };
};

export type RefundRecorded = {
  type: 'RefundRecorded';
  data: TouchpointBase & { orderId: string; amount: number; currency: string };
};

export type InquiryRecorded = {
  type: 'InquiryRecorded';
  data: TouchpointBase & { topic?: string };
};

export type ComplaintOpened = {
  type: 'ComplaintOpened';
  data: TouchpointBase & { complaintId: string; category: string; severity: ComplaintSeverity };
};

export type ComplaintEscalated = {
  type: 'ComplaintEscalated';
  data: TouchpointBase & { complaintId: string; level?: string; reason?: string };
};

export type ComplaintResolved = {
  type: 'ComplaintResolved';
  data: TouchpointBase & { complaintId: string; resolution: string; satisfied?: boolean };
};

export type ComplaintReopened = {
  type: 'ComplaintReopened';
  data: TouchpointBase & { complaintId: string; reason?: string };
};

export type FeedbackGiven = {
  type: 'FeedbackGiven';
  /** At least one of score (1–5) and nps (0–10). `comment` is personal free text. */
  data: TouchpointBase & { score?: number; nps?: number; comment?: string };
};

export type ServiceRequested = {
  type: 'ServiceRequested';
  data: TouchpointBase & { requestId?: string; requestType?: string };
};

export type MarketingContacted = {
  type: 'MarketingContacted';
  data: TouchpointBase & { campaignId?: string; outcome?: string };
};

export type VisitRecorded = {
  type: 'VisitRecorded';
  data: TouchpointBase & { page?: string; durationSeconds?: number };
};

export type TouchpointAttributes = Record<string, string | number | boolean>;

export type OtherTouchpointRecorded = {
  type: 'OtherTouchpointRecorded';
  data: TouchpointBase & { subtype?: string; attributes?: TouchpointAttributes };
};

export type ConsentGranted = {
  type: 'ConsentGranted';
  data: { customerId: string; purpose: string; grantedAt: string; source: string };
};

export type ConsentWithdrawn = {
  type: 'ConsentWithdrawn';
  data: { customerId: string; purpose: string; withdrawnAt: string; source: string };
};

export type MembershipEnrolled = {
  type: 'MembershipEnrolled';
  data: { customerId: string; enrolledAt: string; tier: string };
};

/** Appended by the tier policy; `from: null` means the customer was not a member before. */
export type TierChanged = {
  type: 'TierChanged';
  data: {
    customerId: string;
    from: string | null;
    to: string;
    reason: string;
    qualifyingAmount: number;
    ruleVersion: string;
    effectiveAt: string;
  };
};

/** Appended by the lifecycle policy; effective at the moment its rule names, not when it ran. */
export type LifecycleStageChanged = {
  type: 'LifecycleStageChanged';
  data: {
    customerId: string;
    from: LifecycleStage | null;
    to: LifecycleStage;
    reason: string;
    /** The rule set that produced it; absent on events appended before rules were versioned. */
    ruleVersion?: string;
    effectiveAt: string;
  };
};

/** Value segmentation dimensions that change over time like tiers and stages (DESIGN 3.4). */
export const SEGMENT_DIMENSIONS = ['quadrant', 'account'] as const;
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];

/** Value-matrix quadrants: current value x long-term value, each high or low. */
export const VALUE_QUADRANTS = ['platinum', 'gold', 'iron', 'lead'] as const;
export type ValueQuadrant = (typeof VALUE_QUADRANTS)[number];

/** Key-account (KAISM) segments: attractiveness to us x our strength in the customer's eyes. */
export const ACCOUNT_SEGMENTS = ['key', 'key_development', 'maintenance', 'opportunistic'] as const;
export type AccountSegment = (typeof ACCOUNT_SEGMENTS)[number];

/**
 * Appended by the segment policy when a customer's value quadrant or key-account segment moves;
 * `scores` are the measures the rule judged (e.g. currentValue, longTermValue, attractiveness, strength).
 */
export type SegmentChanged = {
  type: 'SegmentChanged';
  data: {
    customerId: string;
    dimension: SegmentDimension;
    from: string | null;
    to: string;
    reason: string;
    scores: Record<string, number>;
    ruleVersion: string;
    effectiveAt: string;
  };
};

export type CustomerMerged = {
  type: 'CustomerMerged';
  data: { customerId: string; mergedIntoCustomerId: string; mergedAt: string };
};

export type CustomerErased = {
  type: 'CustomerErased';
  data: { customerId: string; erasedAt: string; reason?: string };
};

export type TouchpointEvent =
  | PurchaseRecorded
  | RefundRecorded
  | InquiryRecorded
  | ComplaintOpened
  | ComplaintEscalated
  | ComplaintResolved
  | ComplaintReopened
  | FeedbackGiven
  | ServiceRequested
  | MarketingContacted
  | VisitRecorded
  | OtherTouchpointRecorded;

export type CustomerEvent =
  | CustomerRegistered
  | CustomerProfileChanged
  | TouchpointEvent
  | ConsentGranted
  | ConsentWithdrawn
  | MembershipEnrolled
  | TierChanged
  | LifecycleStageChanged
  | SegmentChanged
  | CustomerMerged
  | CustomerErased;

export type CustomerEventType = CustomerEvent['type'];
export type TouchpointEventType = TouchpointEvent['type'];

/** The payload type of one event type, e.g. `EventData<'PurchaseRecorded'>`. */
export type EventData<T extends CustomerEventType> = Extract<CustomerEvent, { type: T }>['data'];

export const TOUCHPOINT_KINDS = [
  'purchase',
  'refund',
  'inquiry',
  'complaint_opened',
  'complaint_escalated',
  'complaint_resolved',
  'complaint_reopened',
  'feedback',
  'service_request',
  'marketing_contact',
  'visit',
  'other',
] as const;
/** The API's `kind` field of a touchpoint. */
export type TouchpointKind = (typeof TOUCHPOINT_KINDS)[number];

export const TOUCHPOINT_EVENT_TYPE_BY_KIND: Readonly<Record<TouchpointKind, TouchpointEventType>> =
  {
    purchase: 'PurchaseRecorded',
    refund: 'RefundRecorded',
    inquiry: 'InquiryRecorded',
    complaint_opened: 'ComplaintOpened',
    complaint_escalated: 'ComplaintEscalated',
    complaint_resolved: 'ComplaintResolved',
    complaint_reopened: 'ComplaintReopened',
    feedback: 'FeedbackGiven',
    service_request: 'ServiceRequested',
    marketing_contact: 'MarketingContacted',
    visit: 'VisitRecorded',
    other: 'OtherTouchpointRecorded',
  };

export const TOUCHPOINT_KIND_BY_EVENT_TYPE: Readonly<Record<TouchpointEventType, TouchpointKind>> =
  Object.fromEntries(
    TOUCHPOINT_KINDS.map((kind) => [TOUCHPOINT_EVENT_TYPE_BY_KIND[kind], kind]),
  ) as Record<TouchpointEventType, TouchpointKind>;

// Typed as a record first so that adding an event type without listing it here fails to compile.
const EVENT_TYPE_SET: Readonly<Record<CustomerEventType, true>> = {
  CustomerRegistered: true,
  CustomerProfileChanged: true,
  PurchaseRecorded: true,
  RefundRecorded: true,
  InquiryRecorded: true,
  ComplaintOpened: true,
  ComplaintEscalated: true,
  ComplaintResolved: true,
  ComplaintReopened: true,
  FeedbackGiven: true,
  ServiceRequested: true,
  MarketingContacted: true,
  VisitRecorded: true,
  OtherTouchpointRecorded: true,
  ConsentGranted: true,
  ConsentWithdrawn: true,
  MembershipEnrolled: true,
  TierChanged: true,
  LifecycleStageChanged: true,
  SegmentChanged: true,
  CustomerMerged: true,
  CustomerErased: true,
};

export const CUSTOMER_EVENT_TYPES = Object.keys(EVENT_TYPE_SET) as readonly CustomerEventType[];

export function isCustomerEventType(type: string): type is CustomerEventType {
  return Object.prototype.hasOwnProperty.call(EVENT_TYPE_SET, type);
}

export function isTouchpointEvent(event: CustomerEvent): event is TouchpointEvent {
  return Object.prototype.hasOwnProperty.call(TOUCHPOINT_KIND_BY_EVENT_TYPE, event.type);
}

/**
 * Facts the lifecycle, tier and segment policies respond to: deciding one first applies every
 * time-driven transition due by its occurredAt, then the transitions it causes.
 */
export type PolicyFact = Extract<
  TouchpointEvent,
  {
    type:
      | 'PurchaseRecorded'
      | 'RefundRecorded'
      | 'FeedbackGiven'
      | 'ComplaintOpened'
      | 'ComplaintEscalated'
      | 'ComplaintResolved'
      | 'ComplaintReopened';
  }
>;

const POLICY_FACT_TYPES: ReadonlySet<CustomerEventType> = new Set<PolicyFact['type']>([
  'PurchaseRecorded',
  'RefundRecorded',
  'FeedbackGiven',
  'ComplaintOpened',
  'ComplaintEscalated',
  'ComplaintResolved',
  'ComplaintReopened',
]);

export function isPolicyFact(event: CustomerEvent): event is PolicyFact {
  return POLICY_FACT_TYPES.has(event.type);
}

/** The business moment of an event, whatever its payload calls it (for the metadata `occurredAt`). */
export function eventOccurredAt(event: CustomerEvent): string {
  switch (event.type) {
    case 'CustomerRegistered':
      return event.data.registeredAt;
    case 'CustomerProfileChanged':
      return event.data.changedAt;
    case 'ConsentGranted':
      return event.data.grantedAt;
    case 'ConsentWithdrawn':
      return event.data.withdrawnAt;
    case 'MembershipEnrolled':
      return event.data.enrolledAt;
    case 'TierChanged':
    case 'LifecycleStageChanged':
    case 'SegmentChanged':
      return event.data.effectiveAt;
    case 'CustomerMerged':
      return event.data.mergedAt;
    case 'CustomerErased':
      return event.data.erasedAt;
    default:
      return event.data.occurredAt;
  }
}
