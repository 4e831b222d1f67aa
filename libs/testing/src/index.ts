import { randomUUID } from 'node:crypto';

/** A fresh id per test, so suites share one server (or a real one) without wiping data. */
export function uniqueId(prefix = 'test'): string {
  return `${prefix}-${randomUUID().slice(0, 13)}`;
}

/** The servers the integration and end-to-end suites use: started by jest globalSetup, or real ones. */
export function testServers(): { eventStoreUrl: string; mongoUrl: string } {
  const eventStoreUrl = process.env.EVENTSTORE_URL;
  const mongoUrl = process.env.MONGODB_URL;
  if (!eventStoreUrl || !mongoUrl) {
    throw new Error(
      'EVENTSTORE_URL and MONGODB_URL are not set: run the suites through jest (npm test)',
    );
  }
  return { eventStoreUrl, mongoUrl };
}
export * from './counting.projection';
export * from './memory-key-store';
export * from './wait';
export * from './comparable';
