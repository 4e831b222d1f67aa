import { randomUUID } from 'node:crypto';
import {
  EventStoreDBClient,
  jsonEvent,
  type AppendToStreamOptions,
  type JSONEventType,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import { ReadReq } from '@eventstore/db-client/generated/streams_pb';

// The suites talk to whatever EVENTSTORE_URL points at: the embedded server started by jest's
// globalSetup, or a real EventStoreDB. Stream names are unique per test so runs never collide.
export function eventStoreUrl(): string {
  const url = process.env.EVENTSTORE_URL;
  if (!url)
    throw new Error('EVENTSTORE_URL is not set (jest globalSetup starts the embedded server)');
  return url;
}

export function connect(url = eventStoreUrl()): EventStoreDBClient {
  return EventStoreDBClient.connectionString(url);
}

export function uniqueStream(prefix: string): string {
  return `${prefix}-${randomUUID().replace(/-/g, '')}`;
}

export function testEvents(
  count: number,
  type = 'TestEvent',
): ReturnType<typeof jsonEvent<JSONEventType>>[] {
  return Array.from({ length: count }, (_, i) =>
    jsonEvent({ type, data: { index: i, note: `event ${i}` } }),
  );
}

export async function collect(source: AsyncIterable<ResolvedEvent>): Promise<ResolvedEvent[]> {
  const result: ResolvedEvent[] = [];
  for await (const event of source) result.push(event);
  return result;
}

export function revisions(events: ResolvedEvent[]): bigint[] {
  return events.map((e) => e.event!.revision);
}

// The user of the connection string (the embedded server generates one; a real server's default
// admin otherwise).
function urlCredentials(url: string): { username: string; password: string } {
  const match = /^esdb(?:\+discover)?:\/\/([^:@/]+):([^@/]+)@/.exec(url);
  return match
    ? { username: decodeURIComponent(match[1]), password: decodeURIComponent(match[2]) }
    : { username: 'admin', password: 'changeit' };
}

// Appends go through BatchAppend when the server advertises it; passing credentials makes the
// client fall back to the single-stream Append call, so both paths can be exercised.
export function appendPaths(url: string): [string, AppendToStreamOptions][] {
  return [
    ['BatchAppend', {}],
    ['Append', { credentials: urlCredentials(url) }],
  ];
}
export const APPEND_PATHS = appendPaths(process.env.EVENTSTORE_URL ?? '');

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A raw Read request for `$all` from the start, forwards, unfiltered unless `configure` says otherwise. */
export function readAllRequest(
  configure: (options: ReadReq.Options) => void = () => undefined,
): Buffer {
  const options = new ReadReq.Options();
  const all = new ReadReq.Options.AllOptions();
  all.setStart(new Empty());
  options.setAll(all);
  options.setReadDirection(ReadReq.Options.ReadDirection.FORWARDS);
  options.setCount('1000000');
  const uuidOption = new ReadReq.Options.UUIDOption();
  uuidOption.setString(new Empty());
  options.setUuidOption(uuidOption);
  options.setNoFilter(new Empty());
  configure(options);
  const request = new ReadReq();
  request.setOptions(options);
  return Buffer.from(request.serializeBinary());
}
