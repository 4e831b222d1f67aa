import { CUSTOMER_STREAM_PREFIX, type CustomerEvent, isCustomerEventType } from '@app/domain';
import type { ProjectedEvent } from './projection';

/** The customer a projected event belongs to, from its stream name (`customer-<id>`); null for other streams. */
export function customerIdOf(event: ProjectedEvent): string | null {
  if (!event.streamId.startsWith(CUSTOMER_STREAM_PREFIX)) return null;
  return event.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
}

/** The event as the domain types it, or null for a type this version does not know (projections skip those). */
export function asCustomerEvent(event: ProjectedEvent): CustomerEvent | null {
  if (!isCustomerEventType(event.type)) return null;
  return { type: event.type, data: event.data } as CustomerEvent;
}

/** A business timestamp as a date; read models compare instants, not ISO strings with different offsets. */
export function instant(iso: string): Date {
  return new Date(Date.parse(iso));
}

/** Midnight UTC of the day an instant falls on. */
export function utcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

const DAY_MS = 86_400_000;

export function addDays(at: Date, days: number): Date {
  return new Date(at.getTime() + days * DAY_MS);
}

/** ISO-8601 week of an instant, e.g. `2026-W09`. */
export function isoWeek(at: Date): string {
  const day = utcDay(at);
  const weekday = (day.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = addDays(day, 3 - weekday);
  const yearStart = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 1));
  const week = 1 + Math.floor((thursday.getTime() - yearStart.getTime()) / (7 * DAY_MS));
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
