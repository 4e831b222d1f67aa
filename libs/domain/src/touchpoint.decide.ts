import {
  DEFAULT_COMPLAINT_SEVERITY,
  DEFAULT_CURRENCY,
  type RecordTouchpoint,
  type TouchpointOf,
} from './customer.commands';
import {
  type CustomerEvent,
  type CustomerRegistered,
  type TouchpointBase,
  type TouchpointEvent,
} from './customer.events';
import { type Activity, type CustomerState, emptyActivity } from './customer.state';
import { DomainError } from './domain.error';
import { touchpointKey } from './event-id';
import { assertNever, compact, erasedError, requireNotMerged, requireTimestamps } from './guards';
import { isCurrencyCode } from './field-formats';
import { carriesPersonalData } from './personal-fields';

/**
 * Records one touchpoint. A retry of a recorded touchpoint (same source and touchpoint id) gives
 * `[]` before any other rule is checked, so a retry never fails where the first attempt succeeded;
 * `[]` means exactly "duplicate" for this command.
 */
export function recordTouchpoint(command: RecordTouchpoint, state: CustomerState): CustomerEvent[] {
  requireTimestamps({ occurredAt: command.occurredAt });
  if (state.status === 'unknown') return prospectFor(command);
  const key = touchpointKey(command.source, command.touchpointId);
  if (state.activity.touchpoints.has(key)) return [];
  if (state.status !== 'erased') requireNotMerged(state);
  const event = touchpointEvent(command, state.activity);
  // After an erasure, facts without personal data still count (a refund of an old order, a visit);
  // anything that would need the destroyed key is refused.
  if (state.status === 'erased' && carriesPersonalData(event)) {
    throw erasedError(command.customerId);
  }
  return [event];
}

// An unknown customer who shows up in a touchpoint becomes a prospect. The registration takes the
// touchpoint's business time, so an as-of view or a backfill sees the customer from their first
// contact; the command's `now` would date it after facts that refer to it.
function prospectFor(command: RecordTouchpoint): CustomerEvent[] {
  const registration: CustomerRegistered = {
    type: 'CustomerRegistered',
    data: {
      customerId: command.customerId,
      origin: 'touchpoint',
      registeredAt: command.occurredAt,
    },
  };
  // A new prospect has no orders or complaints yet: a refund or resolution is judged against that.
  return [registration, touchpointEvent(command, emptyActivity)];
}

function touchpointEvent(command: RecordTouchpoint, activity: Activity): TouchpointEvent {
  switch (command.kind) {
    case 'purchase':
      return purchase(command, activity);
    case 'refund':
      return refund(command, activity);
    case 'inquiry':
      return {
        type: 'InquiryRecorded',
        data: { ...base(command), ...compact({ topic: command.topic }) },
      };
    case 'complaint_opened':
      return complaintOpened(command, activity);
    case 'complaint_escalated':
      return complaintEscalated(command, activity);
    case 'complaint_resolved':
      return complaintResolved(command, activity);
    case 'complaint_reopened':
      return complaintReopened(command, activity);
    case 'feedback':
      return feedback(command);
    case 'service_request': {
      const { requestId, requestType } = command;
      return {
        type: 'ServiceRequested',
        data: { ...base(command), ...compact({ requestId, requestType }) },
      };
    }
    case 'marketing_contact': {
      const { campaignId, outcome } = command;
      return {
        type: 'MarketingContacted',
        data: { ...base(command), ...compact({ campaignId, outcome }) },
      };
    }
    case 'visit':
      return visit(command);
    case 'other': {
      const { subtype, attributes } = command;
      return {
        type: 'OtherTouchpointRecorded',
        data: { ...base(command), ...compact({ subtype, attributes }) },
      };
    }
    default:
      return assertNever(command);
  }
}

function base(command: RecordTouchpoint): TouchpointBase {
  const { customerId, touchpointId, source, occurredAt, channel, direction } = command;
  const { department, agentId, product, region, note } = command;
  return {
    customerId,
    touchpointId,
    source,
    occurredAt,
    channel,
    direction,
    ...compact({ department, agentId, product, region, note }),
  };
}

function purchase(command: TouchpointOf<'purchase'>, activity: Activity): TouchpointEvent {
  requirePositiveAmount('amount', command.amount);
  requireFiniteAmount('margin', command.margin);
  requireFiniteAmount('discount', command.discount);
  if (command.discount !== undefined && command.discount < 0) {
    throw new DomainError('INVALID_AMOUNT', 'discount must not be negative', {
      field: 'discount',
      value: command.discount,
    });
  }
  const currency = requireCurrency(command.currency ?? DEFAULT_CURRENCY);
  // Several purchases may pay one order (split payments); they must agree on its currency.
  const order = activity.orders.get(command.orderId);
  if (order) requireSameCurrency(command.orderId, order.currency, currency);
  const { orderId, amount, margin, discount } = command;
  return {
    type: 'PurchaseRecorded',
    data: { ...base(command), orderId, amount, currency, ...compact({ margin, discount }) },
  };
}

function refund(command: TouchpointOf<'refund'>, activity: Activity): TouchpointEvent {
  requirePositiveAmount('amount', command.amount);
  const order = activity.orders.get(command.orderId);
  if (!order) {
    throw new DomainError('ORDER_NOT_FOUND', `order ${command.orderId} has no recorded purchase`, {
      orderId: command.orderId,
    });
  }
  const currency = requireCurrency(command.currency ?? order.currency);
  requireSameCurrency(command.orderId, order.currency, currency);
  if (command.amount > order.paid) {
    throw new DomainError(
      'REFUND_EXCEEDS_PURCHASE',
      `refund of ${command.amount} exceeds the ${order.paid} left on order ${command.orderId}`,
      { orderId: command.orderId, amount: command.amount, refundable: order.paid },
    );
  }
  const { orderId, amount } = command;
  return { type: 'RefundRecorded', data: { ...base(command), orderId, amount, currency } };
}

function complaintOpened(
  command: TouchpointOf<'complaint_opened'>,
  activity: Activity,
): TouchpointEvent {
  const status = activity.complaints.get(command.complaintId);
  if (status === 'open' || status === 'escalated') {
    throw complaintError('COMPLAINT_ALREADY_OPEN', command.complaintId, 'is already open');
  }
  if (status === 'resolved') {
    throw complaintError(
      'COMPLAINT_ALREADY_RESOLVED',
      command.complaintId,
      'was resolved; reopen it instead',
    );
  }
  const { complaintId, category } = command;
  const severity = command.severity ?? DEFAULT_COMPLAINT_SEVERITY;
  return { type: 'ComplaintOpened', data: { ...base(command), complaintId, category, severity } };
}

function complaintEscalated(
  command: TouchpointOf<'complaint_escalated'>,
  activity: Activity,
): TouchpointEvent {
  requireOpenComplaint(activity, command.complaintId);
  const { complaintId, level, reason } = command;
  return {
    type: 'ComplaintEscalated',
    data: { ...base(command), complaintId, ...compact({ level, reason }) },
  };
}

function complaintResolved(
  command: TouchpointOf<'complaint_resolved'>,
  activity: Activity,
): TouchpointEvent {
  requireOpenComplaint(activity, command.complaintId);
  const { complaintId, resolution, satisfied } = command;
  return {
    type: 'ComplaintResolved',
    data: { ...base(command), complaintId, resolution, ...compact({ satisfied }) },
  };
}

function complaintReopened(
  command: TouchpointOf<'complaint_reopened'>,
  activity: Activity,
): TouchpointEvent {
  if (activity.complaints.get(command.complaintId) !== 'resolved') {
    throw complaintError('COMPLAINT_NOT_RESOLVED', command.complaintId, 'is not resolved');
  }
  const { complaintId, reason } = command;
  return {
    type: 'ComplaintReopened',
    data: { ...base(command), complaintId, ...compact({ reason }) },
  };
}

function feedback(command: TouchpointOf<'feedback'>): TouchpointEvent {
  const { score, nps, comment } = command;
  if (score === undefined && nps === undefined) {
    throw new DomainError('INVALID_FEEDBACK', 'feedback needs a score (1–5) or an nps (0–10)');
  }
  requireRating('score', score, 1, 5);
  requireRating('nps', nps, 0, 10);
  return { type: 'FeedbackGiven', data: { ...base(command), ...compact({ score, nps, comment }) } };
}

function visit(command: TouchpointOf<'visit'>): TouchpointEvent {
  const { page, durationSeconds } = command;
  if (
    durationSeconds !== undefined &&
    !(Number.isFinite(durationSeconds) && durationSeconds >= 0)
  ) {
    throw new DomainError('INVALID_DURATION', 'durationSeconds must be a number ≥ 0', {
      value: durationSeconds,
    });
  }
  return {
    type: 'VisitRecorded',
    data: { ...base(command), ...compact({ page, durationSeconds }) },
  };
}

function requireOpenComplaint(activity: Activity, complaintId: string): void {
  const status = activity.complaints.get(complaintId);
  if (status !== 'open' && status !== 'escalated') {
    throw complaintError(
      'COMPLAINT_NOT_OPEN',
      complaintId,
      status === 'resolved' ? 'is resolved' : 'was never opened',
    );
  }
}

function complaintError(
  code:
    | 'COMPLAINT_ALREADY_OPEN'
    | 'COMPLAINT_ALREADY_RESOLVED'
    | 'COMPLAINT_NOT_OPEN'
    | 'COMPLAINT_NOT_RESOLVED',
  complaintId: string,
  problem: string,
): DomainError {
  return new DomainError(code, `complaint ${complaintId} ${problem}`, { complaintId });
}

function requireRating(field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DomainError(
      'INVALID_FEEDBACK',
      `${field} must be a whole number from ${min} to ${max}`,
      {
        field,
        value,
      },
    );
  }
}

function requirePositiveAmount(field: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new DomainError('INVALID_AMOUNT', `${field} must be a finite number > 0`, {
      field,
      value,
    });
  }
}

function requireFiniteAmount(field: string, value: number | undefined): void {
  if (value !== undefined && !Number.isFinite(value)) {
    throw new DomainError('INVALID_AMOUNT', `${field} must be a finite number`, { field, value });
  }
}

function requireCurrency(currency: string): string {
  if (!isCurrencyCode(currency)) {
    throw new DomainError(
      'INVALID_CURRENCY',
      `currency must be an ISO 4217 code, got "${currency}"`,
      {
        currency,
      },
    );
  }
  return currency;
}

function requireSameCurrency(orderId: string, expected: string, actual: string): void {
  if (expected !== actual) {
    throw new DomainError(
      'CURRENCY_MISMATCH',
      `order ${orderId} is in ${expected}, not ${actual}`,
      { orderId, expected, actual },
    );
  }
}
