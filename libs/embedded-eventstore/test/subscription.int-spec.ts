import {
  END,
  type EventStoreDBClient,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  type Position,
  type ResolvedEvent,
  START,
  StreamDeletedError,
  streamNameFilter,
  type StreamSubscription,
  type AllStreamSubscription,
} from '@eventstore/db-client';
import { start } from '@app/embedded-eventstore';
import { collect, connect, delay, testEvents, uniqueStream } from './conformance.helpers';

type AnySubscription = StreamSubscription | AllStreamSubscription;

// Collects what a subscription delivers and lets a test wait for a given number of events.
function record(
  subscription: AnySubscription,
  keep: (event: ResolvedEvent) => boolean = () => true,
) {
  const events: ResolvedEvent[] = [];
  const marks: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let failure: unknown;
  subscription.on('confirmation', () => marks.push('confirmation'));
  subscription.on('caughtUp', () => marks.push(`caughtUp@${events.length}`));
  subscription.on('error', (error: unknown) => {
    failure = error;
    for (const waiter of waiters.splice(0)) waiter.resolve();
  });
  subscription.on('data', (event: ResolvedEvent) => {
    if (!keep(event)) return;
    events.push(event);
    for (const waiter of waiters.filter((w) => events.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  return {
    events,
    marks,
    failure: () => failure,
    async waitFor(count: number, timeoutMs = 10_000): Promise<ResolvedEvent[]> {
      if (events.length < count && failure === undefined) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => waiters.push({ count, resolve })),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
        ]);
        clearTimeout(timer);
      }
      return events;
    },
  };
}

function waitForMark(marks: string[], prefix: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (marks.some((m) => m.startsWith(prefix))) return resolve();
      if (Date.now() > deadline) return reject(new Error(`no ${prefix} within ${timeoutMs} ms`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

describe('subscribing to a stream', () => {
  let client: EventStoreDBClient;
  const open: AnySubscription[] = [];

  beforeAll(() => {
    client = connect();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.unsubscribe()));
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('confirms, catches up from storage, signals caught-up, then goes live without gap or duplicate', async () => {
    const stream = uniqueStream('sub-stream');
    await client.appendToStream(stream, testEvents(50));
    const subscription = client.subscribeToStream(stream, { fromRevision: START });
    open.push(subscription);
    const seen = record(subscription);
    // Writes racing with the catch-up must land exactly once, in order.
    const writer = (async () => {
      for (let i = 0; i < 10; i++) await client.appendToStream(stream, testEvents(5));
    })();
    await writer;
    const events = await seen.waitFor(100);
    expect(events.map((e) => e.event!.revision)).toEqual([...Array(100).keys()].map(BigInt));
    await waitForMark(seen.marks, 'caughtUp');
    expect(seen.marks[0]).toBe('confirmation');
    await client.appendToStream(stream, testEvents(1));
    expect((await seen.waitFor(101)).at(-1)!.event!.revision).toBe(100n);
    await delay(100);
    expect(seen.events).toHaveLength(101);
  });

  it('starts after the given revision (exclusive)', async () => {
    const stream = uniqueStream('sub-from-revision');
    await client.appendToStream(stream, testEvents(5));
    const subscription = client.subscribeToStream(stream, { fromRevision: 2n });
    open.push(subscription);
    const events = await record(subscription).waitFor(2);
    expect(events.map((e) => e.event!.revision)).toEqual([3n, 4n]);
  });

  it('from the end delivers only events appended afterwards', async () => {
    const stream = uniqueStream('sub-from-end');
    await client.appendToStream(stream, testEvents(3));
    const subscription = client.subscribeToStream(stream, { fromRevision: END });
    open.push(subscription);
    const seen = record(subscription);
    await waitForMark(seen.marks, 'caughtUp');
    await client.appendToStream(stream, testEvents(2));
    const events = await seen.waitFor(2);
    expect(events.map((e) => e.event!.revision)).toEqual([3n, 4n]);
  });

  it('waits for a stream that does not exist yet', async () => {
    const stream = uniqueStream('sub-future');
    const subscription = client.subscribeToStream(stream);
    open.push(subscription);
    const seen = record(subscription);
    await waitForMark(seen.marks, 'caughtUp');
    await client.appendToStream(stream, testEvents(1));
    expect((await seen.waitFor(1))[0].event!.revision).toBe(0n);
  });

  it('from the start of a soft-deleted stream delivers only what is written after the delete', async () => {
    const stream = uniqueStream('sub-soft-deleted');
    await client.appendToStream(stream, testEvents(3));
    await client.setStreamMetadata(stream, { owner: 'crm' });
    await client.deleteStream(stream);
    const subscription = client.subscribeToStream(stream, { fromRevision: START });
    open.push(subscription);
    const seen = record(subscription);
    await waitForMark(seen.marks, 'caughtUp');
    expect(seen.events).toHaveLength(0);
    await client.appendToStream(stream, testEvents(2));
    const events = await seen.waitFor(2);
    expect(events.map((e) => e.event!.revision)).toEqual([3n, 4n]);
  });

  it('catches up only what stream metadata leaves readable ($maxCount, $tb)', async () => {
    const stream = uniqueStream('sub-metadata');
    await client.appendToStream(stream, testEvents(6));
    await client.setStreamMetadata(stream, { maxCount: 3, truncateBefore: 4 });
    const subscription = client.subscribeToStream(stream, { fromRevision: START });
    open.push(subscription);
    const seen = record(subscription);
    await waitForMark(seen.marks, 'caughtUp');
    await client.appendToStream(stream, testEvents(1));
    const events = await seen.waitFor(3);
    expect(events.map((e) => e.event!.revision)).toEqual([4n, 5n, 6n]);
  });

  // The reference server's live path hands every committed event to its subscribers without
  // consulting stream metadata; only catch-up reads storage through $maxCount/$maxAge/$tb.
  it('delivers every live event as it is written, even those $maxCount already hides from reads', async () => {
    const stream = uniqueStream('sub-live-metadata');
    await client.appendToStream(stream, testEvents(3));
    await client.setStreamMetadata(stream, { maxCount: 2 });
    const subscription = client.subscribeToStream(stream, { fromRevision: START });
    open.push(subscription);
    const seen = record(subscription);
    await waitForMark(seen.marks, 'caughtUp');
    expect(seen.events.map((e) => e.event!.revision)).toEqual([1n, 2n]);
    await client.appendToStream(stream, testEvents(5));
    const events = await seen.waitFor(7);
    expect(events.map((e) => e.event!.revision)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    const readable = await collect(client.readStream(stream));
    expect(readable.map((e) => e.event!.revision)).toEqual([6n, 7n]);
  });

  it('ends with StreamDeletedError when the stream is tombstoned', async () => {
    const stream = uniqueStream('sub-tombstoned');
    await client.appendToStream(stream, testEvents(1));
    const subscription = client.subscribeToStream(stream);
    const seen = record(subscription);
    await seen.waitFor(1);
    await client.tombstoneStream(stream);
    const deadline = Date.now() + 5000;
    while (seen.failure() === undefined && Date.now() < deadline) await delay(20);
    expect(seen.failure()).toBeInstanceOf(StreamDeletedError);
  });
});

describe('checkpoints of a filtered $all subscription on a dedicated embedded server', () => {
  it('arrive after every (window x multiplier) scanned events, at the last scanned position', async () => {
    const server = await start({ port: 0, mem: true });
    const client = connect(server.connectionString);
    try {
      const checkpoints: Position[] = [];
      const subscription = client.subscribeToAll({
        fromPosition: START,
        filter: streamNameFilter({
          prefixes: ['wanted-'],
          checkpointInterval: 2,
          checkpointReached: (_sub, position) => {
            checkpoints.push(position);
          },
        }),
      });
      const seen = record(subscription);
      await waitForMark(seen.marks, 'caughtUp');
      // 192 events in $all, 100 of them matching: with the default window of 32 and a multiplier
      // of 2, a checkpoint follows scanned events 64, 128 and 192.
      await client.appendToStream('wanted-a', testEvents(50));
      await client.appendToStream('unwanted-b', testEvents(92));
      await client.appendToStream('wanted-c', testEvents(50));
      await seen.waitFor(100);
      const deadline = Date.now() + 5000;
      while (checkpoints.length < 3 && Date.now() < deadline) await delay(20);
      const all: bigint[] = [];
      for await (const event of client.readAll()) all.push(event.event!.position.commit);
      expect(checkpoints.map((c) => c.commit)).toEqual([all[63], all[127], all[191]]);
      await subscription.unsubscribe();
    } finally {
      await client.dispose();
      await server.stop();
    }
  });
});

describe('subscribing to $all', () => {
  let client: EventStoreDBClient;
  const open: AnySubscription[] = [];

  beforeAll(() => {
    client = connect();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.unsubscribe()));
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('filters by stream name prefix and reports checkpoints at the requested interval', async () => {
    const prefix = uniqueStream('suball');
    const checkpoints: Position[] = [];
    const subscription = client.subscribeToAll({
      fromPosition: END,
      filter: streamNameFilter({
        prefixes: [prefix],
        checkpointInterval: 1,
        checkpointReached: (_sub, position) => {
          checkpoints.push(position);
        },
      }),
    });
    open.push(subscription);
    const seen = record(subscription);
    await waitForMark(seen.marks, 'caughtUp');
    await client.appendToStream(uniqueStream('other'), testEvents(40));
    await client.appendToStream(`${prefix}-a`, testEvents(60));
    await client.appendToStream(`${prefix}-b`, testEvents(10));
    const events = await seen.waitFor(70);
    expect(events).toHaveLength(70);
    expect(events.every((e) => e.event!.streamId.startsWith(prefix))).toBe(true);
    // 110 scanned events with the default window of 32 give at least three checkpoints.
    const deadline = Date.now() + 5000;
    while (checkpoints.length < 3 && Date.now() < deadline) await delay(20);
    expect(checkpoints.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < checkpoints.length; i++) {
      expect(checkpoints[i].commit).toBeGreaterThan(checkpoints[i - 1].commit);
    }
  });

  it('filters by event type regex and by excluding system events', async () => {
    const stream = uniqueStream('suball-type');
    const marker = `Marker${Date.now()}`;
    const typed = client.subscribeToAll({
      fromPosition: END,
      filter: eventTypeFilter({ regex: `^${marker}` }),
    });
    const noSystem = client.subscribeToAll({ fromPosition: END, filter: excludeSystemEvents() });
    open.push(typed, noSystem);
    const seenTyped = record(typed);
    const seenNoSystem = record(
      noSystem,
      (e) => e.event!.streamId === stream || e.event!.streamId === `$$${stream}`,
    );
    await waitForMark(seenTyped.marks, 'caughtUp');
    await waitForMark(seenNoSystem.marks, 'caughtUp');
    await client.appendToStream(stream, [
      jsonEvent({ type: `${marker}Created`, data: {} }),
      jsonEvent({ type: 'Unrelated', data: {} }),
      jsonEvent({ type: '$internal', data: {} }),
      jsonEvent({ type: `${marker}Updated`, data: {} }),
    ]);
    await client.setStreamMetadata(stream, { maxCount: 3 });
    await client.appendToStream(stream, jsonEvent({ type: 'Last', data: {} }));
    expect((await seenTyped.waitFor(2)).map((e) => e.event!.type)).toEqual([
      `${marker}Created`,
      `${marker}Updated`,
    ]);
    const types = (await seenNoSystem.waitFor(4)).map((e) => e.event!.type);
    expect(types).toEqual([`${marker}Created`, 'Unrelated', `${marker}Updated`, 'Last']);
  });

  it('filters by stream name regex', async () => {
    const base = uniqueStream('suball-regex');
    const subscription = client.subscribeToAll({
      fromPosition: END,
      filter: streamNameFilter({ regex: `^${base}-(keep|also)$` }),
    });
    open.push(subscription);
    const seen = record(subscription);
    await waitForMark(seen.marks, 'caughtUp');
    await client.appendToStream(`${base}-keep`, testEvents(2));
    await client.appendToStream(`${base}-drop`, testEvents(2));
    await client.appendToStream(`${base}-also`, testEvents(1));
    const events = await seen.waitFor(3);
    expect(events.map((e) => e.event!.streamId)).toEqual([
      `${base}-keep`,
      `${base}-keep`,
      `${base}-also`,
    ]);
  });

  it('starts after the given position (exclusive)', async () => {
    const stream = uniqueStream('suball-position');
    await client.appendToStream(stream, testEvents(3));
    const stored: ResolvedEvent[] = [];
    for await (const e of client.readStream(stream)) stored.push(e);
    const subscription = client.subscribeToAll({
      fromPosition: stored[0].event!.position!,
      filter: streamNameFilter({ prefixes: [stream] }),
    });
    open.push(subscription);
    const events = await record(subscription).waitFor(2);
    expect(events.map((e) => e.event!.revision)).toEqual([1n, 2n]);
  });

  it('serves many subscribers at once, and a stalled one neither blocks writers nor loses events', async () => {
    const prefix = uniqueStream('suball-many');
    const subscribers = Array.from({ length: 20 }, () =>
      client.subscribeToAll({
        fromPosition: END,
        filter: streamNameFilter({ prefixes: [prefix] }),
      }),
    );
    open.push(...subscribers);
    const seen = subscribers.map((s) => record(s));
    await Promise.all(seen.map((s) => waitForMark(s.marks, 'caughtUp')));
    const stalled = subscribers[0];
    stalled.pause();
    // About 6 MB: far beyond what the HTTP/2 windows and buffers of a paused reader absorb.
    const payload = 'x'.repeat(3000);
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      await client.appendToStream(
        `${prefix}-${i % 3}`,
        Array.from({ length: 100 }, (_, n) => jsonEvent({ type: 'Bulk', data: { i, n, payload } })),
      );
    }
    const writeMs = Date.now() - started;
    expect(writeMs).toBeLessThan(20_000);
    const others = await Promise.all(seen.slice(1).map((s) => s.waitFor(2000, 20_000)));
    for (const events of others) expect(events).toHaveLength(2000);
    stalled.resume();
    const slow = await seen[0].waitFor(2000, 20_000);
    expect(slow).toHaveLength(2000);
    const order = slow.map(
      (e) => `${(e.event!.data as { i: number }).i}:${(e.event!.data as { n: number }).n}`,
    );
    expect(order).toEqual(
      others[0].map(
        (e) => `${(e.event!.data as { i: number }).i}:${(e.event!.data as { n: number }).n}`,
      ),
    );
    expect(new Set(order).size).toBe(2000);
  });
});
