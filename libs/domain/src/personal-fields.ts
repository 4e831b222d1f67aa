import {
  type CustomerEvent,
  type CustomerEventType,
  type TouchpointAttributes,
  type TouchpointEvent,
} from './customer.events';

/**
 * How a touchpoint's text is kept in the event log:
 * - `sealed`: free text that may name or describe the customer, encrypted with the customer's key and erased with it;
 * - `code`: a bounded code analysts group by (CODE_RULE), in clear: it cannot hold prose, an e-mail address or spaces;
 * - `id`: an opaque identifier of a thing (order, complaint), checked by the API's id pattern;
 * - `fixed`: one value of a closed list or format (channel, direction, severity, ISO 4217 currency, ISO-8601 time).
 */
export type TextHandling = 'sealed' | 'code' | 'id' | 'fixed';

type TextFieldsOf<T> = T extends unknown
  ? {
      [K in keyof T]-?: NonNullable<T[K]> extends string | TouchpointAttributes ? K : never;
    }[keyof T]
  : never;

/** Every text field of any touchpoint event. */
export type TouchpointTextField = TextFieldsOf<TouchpointEvent['data']>;

/**
 * The one table of what a touchpoint's text is. Typed over every text field of every touchpoint event, so a new
 * field fails to compile until someone decides whether it is sealed or a code. Dimensions the read side groups by
 * (region, department, agent, product, complaint category) are codes; prose and URLs are sealed.
 */
export const TOUCHPOINT_TEXT = {
  customerId: 'id',
  touchpointId: 'id',
  source: 'id',
  occurredAt: 'fixed',
  channel: 'fixed',
  direction: 'fixed',
  department: 'code',
  agentId: 'code',
  product: 'code',
  region: 'code',
  // Free text written about the customer.
  note: 'sealed',
  orderId: 'id',
  currency: 'fixed',
  topic: 'code',
  complaintId: 'id',
  category: 'code',
  severity: 'fixed',
  level: 'code',
  // Why a complaint was escalated or reopened, and how it was resolved: prose about the customer's case.
  reason: 'sealed',
  resolution: 'sealed',
  comment: 'sealed',
  requestId: 'id',
  requestType: 'code',
  campaignId: 'code',
  outcome: 'code',
  // A URL's path and query may carry an e-mail address, a search or a token.
  page: 'sealed',
  subtype: 'code',
  // Whatever a source sends for a kind we do not model yet: we cannot know it is free of personal data.
  attributes: 'sealed',
} as const satisfies Readonly<Record<TouchpointTextField, TextHandling>>;

type SealedTouchpointField = {
  [K in keyof typeof TOUCHPOINT_TEXT]: (typeof TOUCHPOINT_TEXT)[K] extends 'sealed' ? K : never;
}[keyof typeof TOUCHPOINT_TEXT];

/** Touchpoint fields of a given handling, e.g. every `code` field. */
export function touchpointFields(handling: TextHandling): TouchpointTextField[] {
  return (Object.keys(TOUCHPOINT_TEXT) as TouchpointTextField[]).filter(
    (field) => TOUCHPOINT_TEXT[field] === handling,
  );
}

// Every touchpoint may carry a note; kinds add their own sealed fields.
const touchpoint = (...fields: SealedTouchpointField[]): readonly SealedTouchpointField[] => [
  'note',
  ...fields,
];

/**
 * Dotted paths (inside `data`) of values that identify or describe a person. The event-store adapter
 * encrypts exactly these with the customer's key, so destroying the key erases them in every replay.
 * Analytics must never need them: regions, amounts, categories and codes stay in clear.
 */
export const PERSONAL_FIELDS: Readonly<Record<CustomerEventType, readonly string[]>> = {
  CustomerRegistered: ['name', 'email', 'phone'],
  CustomerProfileChanged: ['changes.name', 'changes.email', 'changes.phone'],
  PurchaseRecorded: touchpoint(),
  RefundRecorded: touchpoint(),
  InquiryRecorded: touchpoint(),
  ComplaintOpened: touchpoint(),
  ComplaintEscalated: touchpoint('reason'),
  ComplaintResolved: touchpoint('resolution'),
  ComplaintReopened: touchpoint('reason'),
  FeedbackGiven: touchpoint('comment'),
  ServiceRequested: touchpoint(),
  MarketingContacted: touchpoint(),
  VisitRecorded: touchpoint('page'),
  OtherTouchpointRecorded: touchpoint('attributes'),
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

/**
 * Whether recording this touchpoint (a command or the API's input: the event carries their fields under the same
 * names) would store a personal value, so that a key can be fetched before deciding.
 */
export function touchpointCarriesPersonalData(
  touchpoint: Readonly<Partial<Record<TouchpointTextField, unknown>>>,
): boolean {
  return touchpointFields('sealed').some((field) => touchpoint[field] != null);
}

function valueAt(data: unknown, path: string): unknown {
  let value = data;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
