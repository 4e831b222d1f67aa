import {
  type AllStreamSubscription,
  BACKWARDS,
  END,
  FORWARDS,
  type EventStoreDBClient,
  START,
  streamNameFilter,
} from '@eventstore/db-client';

export interface LogPosition {
  commit: bigint;
  prepare: bigint;
}

/**
 * Commit position of the newest event in streams whose names start with `prefix`, looking back at most
 * `window` events of `$all` (reads of `$all` take no server-side filter in this client); undefined when none.
 */
export async function headOfStreams(
  client: EventStoreDBClient,
  prefix: string,
  window = 100,
): Promise<bigint | undefined> {
  let head: bigint | undefined;
  const newest = client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: window });
  // Read to the end of the answer rather than break out of it: a cancelled call can keep the client's
  // dispose() waiting at shutdown.
  for await (const resolved of newest) {
    const event = resolved.event;
    if (head === undefined && event?.streamId.startsWith(prefix)) head = event.position?.commit;
  }
  return head;
}

/** Catch-up subscription to the streams whose names start with `prefix`, after `from` (or from the start). */
export function followStreams(
  client: EventStoreDBClient,
  prefix: string,
  from: LogPosition | undefined,
): AllStreamSubscription {
  return client.subscribeToAll({
    fromPosition: from ?? START,
    filter: streamNameFilter({ prefixes: [prefix] }),
  });
}

export type { AllStreamSubscription };

/**
 * How many events of the streams named `prefix…` follow `after` in `$all`, counting at most `limit` (reads of `$all`
 * take no server-side filter in this client, so this looks at up to `window` records).
 */
export async function countEventsAfter(
  client: EventStoreDBClient,
  prefix: string,
  after: LogPosition | undefined,
  limit = 1000,
  window = 10_000,
): Promise<number> {
  let count = 0;
  const read = client.readAll({
    direction: FORWARDS,
    fromPosition: after ?? START,
    maxCount: window,
  });
  // Read to the end of the answer (bounded by `window`) rather than break out of it: see headOfStreams.
  for await (const resolved of read) {
    const event = resolved.event;
    if (!event?.position || !event.streamId.startsWith(prefix) || count >= limit) continue;
    if (after && event.position.commit <= after.commit && event.position.prepare <= after.prepare)
      continue;
    count += 1;
  }
  return count;
}
