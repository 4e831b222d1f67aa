import { type EventStoreDBClient, headOfStreams, type StreamReader } from '@app/event-store';
import { comparePositions } from '../projection/checkpoints';
import type { EventPosition, ProjectedEvent } from '../projection/projection';
import type { RebuildSource } from './projection-rebuild';

/**
 * The events of the streams named `prefix…` as the projector sees them (sealed, upcast), read from `$all` rather
 * than subscribed to: a rebuild reads to the end of the log, then asks again.
 */
export function storedEventSource(
  reader: StreamReader,
  client: EventStoreDBClient,
  prefix: string,
): RebuildSource {
  return {
    readAfter: (after) => eventsAfter(reader, prefix, after),
    head: () => headOfStreams(client, prefix, 1000),
  };
}

async function* eventsAfter(
  reader: StreamReader,
  prefix: string,
  after: EventPosition | undefined,
): AsyncGenerator<ProjectedEvent> {
  // A read of `$all` from a position includes the event at it.
  for await (const event of reader.readAll({ prefix, fromPosition: after, open: 'sealed' })) {
    if (after && comparePositions(event.position, after) <= 0) continue;
    yield event;
  }
}
