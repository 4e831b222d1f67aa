// Realistic customer streams for the read-side benchmark: each customer's commands decided by the domain decider
// (registration, touchpoints, consents, a final review), so the stored events carry the tier, stage and segment
// transitions the API would append, with the same metadata envelope and personal fields sealed as DeciderStore does.
import { randomBytes, randomUUID } from 'node:crypto';
import { type JSONEventData, jsonEvent } from '@eventstore/db-client';
import {
  createCustomerDecider,
  type CustomerCommand,
  type CustomerEvent,
  type CustomerEventType,
  type CustomerState,
  DEFAULT_POLICY_RULES,
  eventOccurredAt,
  PERSONAL_FIELDS,
  type RecordTouchpoint,
  SCHEMA_VERSION,
  touchpointEventId,
} from '@app/domain';
import { sealPersonalFields } from '@app/event-store';

const decider = createCustomerDecider(DEFAULT_POLICY_RULES);
const DAY_MS = 86_400_000;
const START = Date.UTC(2024, 0, 1);
/** Every history ends by this moment; the final review is as of it. */
export const HISTORY_END = new Date(Date.UTC(2026, 5, 1));
const REGIONS = ['north', 'south', 'east', 'west', 'central'];
const CHANNELS = ['store', 'web', 'phone', 'email'] as const;
const DEPARTMENTS = ['sales', 'service', 'support'];

/** A small seeded generator (mulberry32), so every run stores the same histories. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CustomerHistory {
  customerId: string;
  /** The events of each command that appended any, in order: what the API would append one call at a time. */
  appends: JSONEventData[][];
  types: CustomerEventType[];
}

/** One customer's whole stream, decided command by command against the folded state. */
export function customerHistory(customerId: string, random: () => number): CustomerHistory {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const key = randomBytes(32);
  const region = pick(REGIONS);
  let at = START + Math.floor(random() * 400 * DAY_MS);
  const iso = () => new Date(at).toISOString();
  const commands: CustomerCommand[] = [
    {
      type: 'RegisterCustomer',
      customerId,
      name: `Customer ${customerId}`,
      email: `${customerId}@example.com`,
      region,
      occurredAt: iso(),
      now: iso(),
    },
  ];
  if (random() < 0.3)
    commands.push({
      type: 'GrantConsent',
      customerId,
      purpose: 'marketing',
      source: 'web',
      now: iso(),
    });
  // Big spenders reach silver and gold; most customers stay basic and drift to at-risk or churned.
  const spender = random() < 0.25 ? 8 : 1;
  const touchpoints = 1 + Math.floor(random() * 5);
  let openComplaint: string | undefined;
  for (let n = 0; n < touchpoints && at < HISTORY_END.getTime() - DAY_MS; n += 1) {
    at = Math.min(at + Math.floor(random() * 60 * DAY_MS) + 3_600_000, HISTORY_END.getTime() - 1);
    const touchpointId = `${customerId}-t${n}`;
    const common = {
      type: 'RecordTouchpoint' as const,
      customerId,
      touchpointId,
      source: 'bench-till',
      occurredAt: iso(),
      channel: pick(CHANNELS),
      direction: 'inbound' as const,
      department: pick(DEPARTMENTS),
      region,
      ...(random() < 0.1 ? { note: 'Asked about delivery times for the new range' } : {}),
      now: iso(),
    };
    const roll = random();
    let command: RecordTouchpoint;
    if (openComplaint) {
      command = {
        ...common,
        kind: 'complaint_resolved',
        complaintId: openComplaint,
        resolution: 'refund',
        satisfied: random() < 0.7,
      };
      openComplaint = undefined;
    } else if (roll < 0.6) {
      const amount = Math.round((20 + random() * 400 * spender) * 100) / 100;
      command = {
        ...common,
        kind: 'purchase',
        orderId: `${touchpointId}-o`,
        amount,
        currency: 'EUR',
        margin: Math.round(amount * 25) / 100,
      };
    } else if (roll < 0.75) {
      command = { ...common, kind: 'visit', page: '/products/42', durationSeconds: 95 };
    } else if (roll < 0.85) {
      command = { ...common, kind: 'inquiry', topic: 'delivery' };
    } else if (roll < 0.94) {
      command = {
        ...common,
        kind: 'feedback',
        score: 1 + Math.floor(random() * 5),
        nps: Math.floor(random() * 11),
      };
    } else {
      openComplaint = `${touchpointId}-c`;
      command = {
        ...common,
        kind: 'complaint_opened',
        complaintId: openComplaint,
        category: 'delivery',
        severity: 'medium',
      };
    }
    commands.push(command);
  }
  commands.push({
    type: 'ReviewCustomer',
    customerId,
    asOf: HISTORY_END.toISOString(),
    now: HISTORY_END.toISOString(),
  });

  let state: CustomerState = decider.initialState;
  const appends: JSONEventData[][] = [];
  const types: CustomerEventType[] = [];
  for (const command of commands) {
    const decided = decider.decide(command, state);
    const events: JSONEventData[] = [];
    const recordedAt = command.now;
    decided.forEach((event: CustomerEvent, index) => {
      state = decider.evolve(state, event);
      const eventId =
        command.type === 'RecordTouchpoint' &&
        index === decided.length - 1 &&
        'touchpointId' in event.data
          ? touchpointEventId(command.source, command.touchpointId)
          : randomUUID();
      const paths = PERSONAL_FIELDS[event.type];
      const data =
        paths.length > 0 ? sealPersonalFields(event.data, paths, key, customerId) : event.data;
      events.push(
        jsonEvent({
          id: eventId,
          type: event.type,
          data,
          metadata: {
            eventId,
            occurredAt: eventOccurredAt(event) ?? command.now,
            recordedAt,
            actor: 'ingest:bench',
            source: 'bench-till',
            correlationId: randomUUID(),
            causationId: null,
            schemaVersion: SCHEMA_VERSION[event.type] ?? 1,
          },
        }),
      );
      types.push(event.type);
    });
    if (events.length > 0) appends.push(events);
  }
  return { customerId, appends, types };
}
