import {
  customerStreamId,
  isCustomerEventType,
  TOUCHPOINT_EVENT_TYPE_BY_KIND,
  TOUCHPOINT_KIND_BY_EVENT_TYPE,
  type TouchpointEventType,
  type TouchpointKind,
} from '@app/domain';
import type { EventMetadata, StoredEvent, StreamReader, StreamRecord } from '@app/event-store';

/** What an erased personal field reads as in a history: shown, never silently missing. */
export const ERASED_MARKER = '[erased]';

export interface HistoryFilter {
  /** Business time range on occurredAt, inclusive (ms). */
  from?: number;
  to?: number;
  /** Event types to keep (touchpoint kinds already translated); undefined keeps all. */
  types?: ReadonlySet<string>;
}

/** One event as an auditor sees it: every metadata field, its place in the stream and in `$all`, the payload. */
export interface HistoryEvent extends EventMetadata {
  revision: number;
  /** Commit position in `$all`. */
  position: number;
  type: string;
  /** The touchpoint kind, for touchpoint events. */
  kind: TouchpointKind | null;
  [metadata: string]: unknown;
  data: Record<string, unknown>;
}

/** `purchase` and `PurchaseRecorded` both name the purchase events. */
export function historyTypes(kinds: readonly string[] | undefined): Set<string> | undefined {
  if (!kinds || kinds.length === 0) return undefined;
  return new Set(
    kinds.map((kind) => TOUCHPOINT_EVENT_TYPE_BY_KIND[kind as TouchpointKind] ?? kind),
  );
}

export function matches(event: StoredEvent, filter: HistoryFilter): boolean {
  if (filter.types && !filter.types.has(event.type)) return false;
  if (filter.from === undefined && filter.to === undefined) return true;
  const at = Date.parse(event.metadata.occurredAt);
  if (filter.from !== undefined && !(at >= filter.from)) return false;
  if (filter.to !== undefined && !(at <= filter.to)) return false;
  return true;
}

export function historyEvent(event: StoredEvent): HistoryEvent {
  const { metadata } = event;
  return {
    revision: event.revision,
    position: Number(event.position.commit),
    type: event.type,
    kind: isCustomerEventType(event.type)
      ? (TOUCHPOINT_KIND_BY_EVENT_TYPE[event.type as TouchpointEventType] ?? null)
      : null,
    // Every field of the envelope, including any added later (e.g. the hash chain).
    ...metadata,
    eventId: metadata.eventId,
    occurredAt: metadata.occurredAt,
    recordedAt: metadata.recordedAt,
    actor: metadata.actor,
    source: metadata.source,
    correlationId: metadata.correlationId,
    causationId: metadata.causationId ?? null,
    schemaVersion: metadata.schemaVersion ?? 1,
    data: event.data,
  };
}

/**
 * The customer's events from `fromRevision`, opened for an auditor (erased fields marked), filtered, oldest first.
 * Reads a page at a time, each page to its end before its events are handed out: a consumer may stop at any event
 * (a full page of results, a closed connection) without leaving a read open, which would keep the client's
 * dispose() waiting for ever (libs/event-store README); memory stays bounded by one page.
 */
export async function* readHistory(
  reader: StreamReader,
  customerId: string,
  filter: HistoryFilter,
  options: { fromRevision?: number; maxCount?: number } = {},
): AsyncGenerator<HistoryEvent> {
  let from = options.fromRevision ?? 0;
  let left = options.maxCount ?? Number.POSITIVE_INFINITY;
  while (left > 0) {
    const size = Math.min(HISTORY_PAGE, left);
    const page: StreamRecord[] = [];
    for await (const record of reader.readStreamRecords(customerStreamId(customerId), {
      fromRevision: from,
      maxCount: size,
      entityId: customerId,
      open: 'decrypt',
      erasedAs: ERASED_MARKER,
    })) {
      page.push(record);
    }
    for (const { event } of page) if (event && matches(event, filter)) yield historyEvent(event);
    const last = page.at(-1);
    if (!last || page.length < size) return;
    left -= page.length;
    from = last.revision + 1;
  }
}

/** Events read per round trip of a history. */
const HISTORY_PAGE = 500;

/** Whether the customer's stream has any record. */
export async function streamExists(reader: StreamReader, customerId: string): Promise<boolean> {
  let exists = false;
  // Read to its end rather than returned from: see readHistory.
  for await (const _record of reader.readStreamRecords(customerStreamId(customerId), {
    direction: 'backwards',
    maxCount: 1,
    open: 'sealed',
  })) {
    exists = true;
  }
  return exists;
}
