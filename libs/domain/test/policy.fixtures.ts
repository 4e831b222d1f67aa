import {
  type CustomerCommand,
  type CustomerEvent,
  type CustomerEventType,
  type CustomerState,
  DAY_MS,
  decide,
  DEFAULT_POLICY_RULES,
  type EventData,
  fold,
  type PolicyRules,
  type RecordTouchpoint,
} from '@app/domain';
import { CUSTOMER, registered } from './customer.fixtures';

export const RULES = DEFAULT_POLICY_RULES;
export const VERSION = RULES.version;

const EPOCH = Date.parse('2025-01-01T00:00:00.000Z');

/** The moment `days` (fractions allowed) after 2025-01-01T00:00Z, as an ISO string. */
export function day(days: number): string {
  return new Date(EPOCH + Math.round(days * DAY_MS)).toISOString();
}

/** Registered well before the first purchase of any test. */
export const registeredEarly = () => registered({ registeredAt: day(-30) });

export function buy(
  orderId: string,
  amount: number,
  at: string,
  extra: { margin?: number; discount?: number } = {},
): RecordTouchpoint {
  return touch(`tp-${orderId}`, at, { kind: 'purchase', orderId, amount, ...extra });
}

export function refund(orderId: string, amount: number, at: string): RecordTouchpoint {
  return touch(`tp-refund-${orderId}-${at}`, at, { kind: 'refund', orderId, amount });
}

export function feedback(id: string, at: string, rating: { score?: number; nps?: number }) {
  return touch(`tp-feedback-${id}`, at, { kind: 'feedback', ...rating });
}

export function complaint(
  kind: 'complaint_opened' | 'complaint_resolved',
  complaintId: string,
  at: string,
): RecordTouchpoint {
  const details =
    kind === 'complaint_opened'
      ? { kind, complaintId, category: 'delivery' }
      : { kind, complaintId, resolution: 'refunded' };
  return touch(`tp-${kind}-${complaintId}`, at, details);
}

export function review(asOf: string): CustomerCommand {
  return { type: 'ReviewCustomer', customerId: CUSTOMER, asOf, now: asOf };
}

function touch(touchpointId: string, at: string, details: object): RecordTouchpoint {
  return {
    type: 'RecordTouchpoint',
    customerId: CUSTOMER,
    touchpointId,
    source: 'till-7',
    occurredAt: at,
    channel: 'store',
    direction: 'inbound',
    now: at,
    ...details,
  } as RecordTouchpoint;
}

/** The history real decisions build, one command after another, from `start`. */
export function decideAll(
  commands: readonly CustomerCommand[],
  start: readonly CustomerEvent[] = [registeredEarly()],
  rules: PolicyRules = RULES,
): { events: CustomerEvent[]; state: CustomerState } {
  const events = [...start];
  let state = fold(events);
  for (const command of commands) {
    const decided = decide(command, state, rules);
    events.push(...decided);
    state = fold(decided, state);
  }
  return { events, state };
}

type Transition = 'TierChanged' | 'LifecycleStageChanged';

/** The transitions of one type as [from, to, reason, effectiveAt], to read a history at a glance. */
export function moves(events: readonly CustomerEvent[], type: Transition): string[][] {
  return events
    .filter((event) => event.type === type)
    .map((event) => {
      const data = event.data as EventData<Transition>;
      return [data.from ?? 'none', data.to, data.reason, data.effectiveAt];
    });
}

/** Segment moves of one dimension as [from, to, reason, effectiveAt]. */
export function segmentMoves(
  events: readonly CustomerEvent[],
  dimension: 'quadrant' | 'account',
): string[][] {
  return events
    .filter((event) => event.type === 'SegmentChanged' && event.data.dimension === dimension)
    .map((event) => {
      const data = event.data as EventData<'SegmentChanged'>;
      return [data.from ?? 'none', data.to, data.reason, data.effectiveAt];
    });
}

export function ofType<T extends CustomerEventType>(
  events: readonly CustomerEvent[],
  type: T,
): EventData<T>[] {
  return events.filter((event) => event.type === type).map((event) => event.data as EventData<T>);
}

export function types(events: readonly CustomerEvent[]): CustomerEventType[] {
  return events.map((event) => event.type);
}

/** A small seeded PRNG (mulberry32), so a generated history is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
