import { type CustomerEvent, type CustomerEventType } from './customer.events';

// Free text about the customer may name them, so every touchpoint's note is personal.
const TOUCHPOINT = ['note'] as const;

/**
 * Dotted paths (inside `data`) of values that identify or describe a person. The event-store adapter
 * encrypts exactly these with the customer's key, so destroying the key erases them in every replay.
 * Analytics must never need them: regions, amounts, categories and codes stay in clear.
 */
export const PERSONAL_FIELDS: Readonly<Record<CustomerEventType, readonly string[]>> = {
  CustomerRegistered: ['name', 'email', 'phone'],
  CustomerProfileChanged: ['changes.name', 'changes.email', 'changes.phone'],
  PurchaseRecorded: TOUCHPOINT,
  RefundRecorded: TOUCHPOINT,
  InquiryRecorded: TOUCHPOINT,
  ComplaintOpened: TOUCHPOINT,
  ComplaintEscalated: TOUCHPOINT,
  ComplaintResolved: TOUCHPOINT,
  ComplaintReopened: TOUCHPOINT,
  FeedbackGiven: [...TOUCHPOINT, 'comment'],
  ServiceRequested: TOUCHPOINT,
  MarketingContacted: TOUCHPOINT,
  VisitRecorded: TOUCHPOINT,
  // Attributes are whatever a source sends for a kind we do not model yet; we cannot know they are
  // free of personal data, so they get the protection of free text.
  OtherTouchpointRecorded: [...TOUCHPOINT, 'attributes'],
  ConsentGranted: [],
  ConsentWithdrawn: [],
  MembershipEnrolled: [],
  TierChanged: [],
  LifecycleStageChanged: [],
  SegmentChanged: [],
  CustomerMerged: [],
  CustomerErased: [],
};

/** Whether an event holds any personal value, i.e. would need the customer's encryption key. */
export function carriesPersonalData(event: CustomerEvent): boolean {
  return PERSONAL_FIELDS[event.type].some((path) => valueAt(event.data, path) != null);
}

function valueAt(data: unknown, path: string): unknown {
  let value = data;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
