import {
  BACKWARDS,
  END,
  type EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
} from '@eventstore/db-client';
import { collect, connect, delay, testEvents, uniqueStream } from './conformance.helpers';

const BOUND_MS = 5000;

// The client's dispose() cancels every call it tracks and waits until each one has finished. A
// call the server has already completed only counts as finished once the client has consumed its
// end, and a call the server ends on its own initiative (a BatchAppend the client never
// half-closed) never finishes its writable side: either mistake on the server leaves dispose()
// pending forever.
async function within<T>(what: string, work: Promise<T>, ms = BOUND_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const disposeWithin = (client: EventStoreDBClient) => within('dispose()', client.dispose());

describe('disposing a client', () => {
  it('resolves after a not-found read, a BatchAppend and a $all read with maxCount read to its end', async () => {
    const client = connect();
    const stream = uniqueStream('dispose-sequence');
    await expect(
      collect(client.readStream(stream, { direction: FORWARDS, fromRevision: START })),
    ).rejects.toBeInstanceOf(StreamNotFoundError);
    await client.appendToStream(stream, testEvents(2), { expectedRevision: NO_STREAM });
    const latest = await within(
      'a $all read with maxCount 1',
      collect(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })),
    );
    expect(latest).toHaveLength(1);
    // Let anything the server sends after its answers (an unrequested end of the BatchAppend
    // call, a late end of a read) reach the client before it disposes.
    await delay(100);
    await disposeWithin(client);
  });

  it('resolves after appends spread over time on the one BatchAppend call', async () => {
    const client = connect();
    const stream = uniqueStream('dispose-appends');
    await client.appendToStream(stream, testEvents(1), { expectedRevision: NO_STREAM });
    await delay(100);
    // The second append travels on the same call: it must still be open and answering.
    const result = await within(
      'a second append',
      client.appendToStream(stream, testEvents(1), { expectedRevision: 0n }),
    );
    expect(result.nextExpectedRevision).toBe(1n);
    await delay(100);
    await disposeWithin(client);
  });

  it('resolves while a subscription is live and an append call is open', async () => {
    const client = connect();
    const stream = uniqueStream('dispose-live');
    await client.appendToStream(stream, testEvents(1));
    const subscription = client.subscribeToStream(stream, { fromRevision: START });
    const caughtUp = new Promise<void>((resolve) => subscription.once('caughtUp', resolve));
    subscription.on('data', () => undefined);
    await caughtUp;
    await disposeWithin(client);
  });
});
