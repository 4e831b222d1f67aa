import {
  customerDecider,
  type CustomerEvent,
  type EventData,
  type RecordTouchpoint,
  type TouchpointBase,
  type TouchpointCommon,
  type TouchpointEventType,
  type TouchpointKind,
  type TouchpointOf,
} from '@app/domain';
import { specification } from './decider.specification';

export const { given } = specification(customerDecider);

export const CUSTOMER = 'c-1';
export const NOW = '2026-03-01T12:00:00.000Z';
export const REGISTERED_AT = '2026-01-01T08:00:00.000Z';
export const OCCURRED_AT = '2026-02-01T09:00:00.000Z';

export function registered(
  overrides: Partial<EventData<'CustomerRegistered'>> = {},
): CustomerEvent {
  return {
    type: 'CustomerRegistered',
    data: {
      customerId: CUSTOMER,
      origin: 'registration',
      name: 'Jane Roe',
      email: 'jane@example.com',
      region: 'north',
      registeredAt: REGISTERED_AT,
      ...overrides,
    },
  };
}

type Details<K extends TouchpointKind> = Omit<TouchpointOf<K>, keyof TouchpointCommon | 'kind'>;

/** A RecordTouchpoint command with common fields filled in; the id defaults to one per kind. */
export function touchpoint<K extends TouchpointKind>(
  kind: K,
  details: Details<K>,
  common: Partial<TouchpointCommon> = {},
): RecordTouchpoint {
  return {
    type: 'RecordTouchpoint',
    customerId: CUSTOMER,
    touchpointId: `tp-${kind}`,
    source: 'till-7',
    occurredAt: OCCURRED_AT,
    channel: 'store',
    direction: 'inbound',
    now: NOW,
    ...common,
    kind,
    ...details,
  } as RecordTouchpoint;
}

/** The event the decider records for such a command, for then(...) and given(...). */
export function recorded<T extends TouchpointEventType>(
  type: T,
  specific: Omit<EventData<T>, keyof TouchpointBase>,
  base: Partial<TouchpointBase> = {},
): CustomerEvent {
  const data: TouchpointBase = {
    customerId: CUSTOMER,
    touchpointId: `tp-${KIND_OF[type]}`,
    source: 'till-7',
    occurredAt: OCCURRED_AT,
    channel: 'store',
    direction: 'inbound',
    ...base,
  };
  return { type, data: { ...data, ...specific } } as CustomerEvent;
}

const KIND_OF: Record<TouchpointEventType, TouchpointKind> = {
  PurchaseRecorded: 'purchase',
  RefundRecorded: 'refund',
  InquiryRecorded: 'inquiry',
  ComplaintOpened: 'complaint_opened',
  ComplaintEscalated: 'complaint_escalated',
  ComplaintResolved: 'complaint_resolved',
  ComplaintReopened: 'complaint_reopened',
  FeedbackGiven: 'feedback',
  ServiceRequested: 'service_request',
  MarketingContacted: 'marketing_contact',
  VisitRecorded: 'visit',
  OtherTouchpointRecorded: 'other',
};

export function purchased(orderId: string, amount: number, touchpointId = `tp-${orderId}`) {
  return recorded('PurchaseRecorded', { orderId, amount, currency: 'EUR' }, { touchpointId });
}

export function erased(erasedAt = '2026-02-15T00:00:00.000Z'): CustomerEvent {
  return { type: 'CustomerErased', data: { customerId: CUSTOMER, erasedAt } };
}
