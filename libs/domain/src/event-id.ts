import { v5 as uuidV5 } from 'uuid';

/**
 * The project's namespace for touchpoint event ids. Fixed forever: changing it would give every
 * retried touchpoint a new id and break idempotency against events already stored.
 */
export const TOUCHPOINT_EVENT_NAMESPACE = '80eca61f-c797-40f6-9646-59ce99ba4d6e';

/**
 * Identifies a touchpoint across retries. The NUL separator keeps ("a-b", "c") and ("a", "b-c")
 * apart; it is unambiguous as long as sources and ids hold no NUL, which the API must reject.
 */
export function touchpointKey(source: string, touchpointId: string): string {
  return `${source}\u0000${touchpointId}`;
}

/**
 * The event id of a touchpoint: the same source and touchpoint id always give the same id, a name-based UUID v5
 * (RFC 9562) of the touchpoint key, hashed as UTF-8, in the project's namespace.
 */
export function touchpointEventId(source: string, touchpointId: string): string {
  return uuidV5(touchpointKey(source, touchpointId), TOUCHPOINT_EVENT_NAMESPACE);
}
