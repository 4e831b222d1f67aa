import { EventStoreDBClient } from '@eventstore/db-client';

export function connectEventStore(connectionString: string): EventStoreDBClient {
  return EventStoreDBClient.connectionString(connectionString);
}

/**
 * Closes the client, waiting at most `ms`: dispose() waits for every open call to report its end, and a read left
 * before its end whose end then arrived never does (see the README), so a shutdown must not wait on it for ever.
 */
export async function disposeWithin(client: EventStoreDBClient, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([client.dispose(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export { EventStoreDBClient };
