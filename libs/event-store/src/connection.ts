import { EventStoreDBClient } from '@eventstore/db-client';

export function connectEventStore(connectionString: string): EventStoreDBClient {
  return EventStoreDBClient.connectionString(connectionString);
}

export { EventStoreDBClient };
