import type { EventMetadata } from '@app/event-store';

/** Polls `check` every 20 ms until it holds; fails after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The metadata envelope of a test event: only its id varies. */
export function testMetadata(eventId: string): EventMetadata {
  return {
    eventId,
    occurredAt: '2026-01-01T00:00:00.000Z',
    recordedAt: '2026-01-01T00:00:00.000Z',
    actor: 'test',
    source: 'test',
    correlationId: 'c',
    causationId: null,
    schemaVersion: 1,
  };
}
