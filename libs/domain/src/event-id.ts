import { createHash } from 'node:crypto';

/**
 * The project's namespace for touchpoint event ids. Fixed forever: changing it would give every
 * retried touchpoint a new id and break idempotency against events already stored.
 */
export const TOUCHPOINT_EVENT_NAMESPACE = '80eca61f-c797-40f6-9646-59ce99ba4d6e';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Name-based UUID version 5 (RFC 4122 §4.3: SHA-1 of namespace bytes followed by the name in UTF-8). */
export function uuidV5(name: string, namespace: string): string {
  if (!UUID_PATTERN.test(namespace)) {
    throw new TypeError(`uuidV5: namespace must be a UUID, got "${namespace}"`);
  }
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20, 32),
  ].join('-');
}

/**
 * Identifies a touchpoint across retries. The NUL separator keeps ("a-b", "c") and ("a", "b-c")
 * apart; it is unambiguous as long as sources and ids hold no NUL, which the API must reject.
 */
export function touchpointKey(source: string, touchpointId: string): string {
  return `${source}\u0000${touchpointId}`;
}

/** The event id of a touchpoint: the same source and touchpoint id always give the same id. */
export function touchpointEventId(source: string, touchpointId: string): string {
  return uuidV5(touchpointKey(source, touchpointId), TOUCHPOINT_EVENT_NAMESPACE);
}
