import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  END,
  type EventStoreDBClient,
  persistentSubscriptionToAllSettingsFromDefaults,
  persistentSubscriptionToStreamSettingsFromDefaults,
  type PersistentSubscriptionToStreamResolvedEvent,
  type PersistentSubscriptionToStream,
  type PersistentSubscriptionToStreamInfo,
  PersistentSubscriptionDoesNotExistError,
  PersistentSubscriptionExistsError,
  PersistentSubscriptionMaximumSubscribersReachedError,
  START,
  streamNameFilter,
} from '@eventstore/db-client';
import { start } from '@app/embedded-eventstore';
import { collect, connect, delay, testEvents, uniqueStream } from './conformance.helpers';

type Received = PersistentSubscriptionToStreamResolvedEvent;

async function until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

// The group's info once `ready` holds (checkpoints and parking are written asynchronously).
async function infoOnce(
  client: EventStoreDBClient,
  stream: string,
  ready: (info: PersistentSubscriptionToStreamInfo) => boolean,
): Promise<PersistentSubscriptionToStreamInfo> {
  let info = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
  for (let i = 0; i < 200 && !ready(info); i++) {
    await delay(20);
    info = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
  }
  return info;
}

function indexOf(event: Received): number {
  return (event.event!.data as { index: number }).index;
}

// Consumes a subscription in the background: `handle` decides what to answer to each event.
function consume(
  subscription: PersistentSubscriptionToStream,
  handle: (event: Received) => Promise<void> = (event) => subscription.ack(event),
): Received[] {
  const received: Received[] = [];
  subscription.on('data', (event: Received) => {
    received.push(event);
    void handle(event);
  });
  subscription.on('error', () => undefined);
  return received;
}

describe('persistent subscriptions to a stream', () => {
  let client: EventStoreDBClient;
  const open: { unsubscribe(): Promise<void> }[] = [];

  beforeAll(() => {
    client = connect();
  });
  afterEach(async () => {
    for (const subscription of open.splice(0))
      await subscription.unsubscribe().catch(() => undefined);
  });
  afterAll(async () => {
    await client.dispose();
  });

  /** Creates `group` on `stream` with EventStoreDB's default settings but for `changes`. */
  function createGroup(
    stream: string,
    group: string,
    changes?: Parameters<typeof persistentSubscriptionToStreamSettingsFromDefaults>[0],
  ) {
    return client.createPersistentSubscriptionToStream(
      stream,
      group,
      persistentSubscriptionToStreamSettingsFromDefaults(changes),
    );
  }

  function subscribe(stream: string, group: string, bufferSize = 10) {
    const subscription = client.subscribeToPersistentSubscriptionToStream(stream, group, {
      bufferSize,
    });
    open.push(subscription);
    return subscription;
  }

  it('creates a group, refuses to create it twice, lists it, reports it and deletes it', async () => {
    const stream = uniqueStream('ps-admin');
    await createGroup(stream, 'g', { maxRetryCount: 3 });
    const twice = await createGroup(stream, 'g').catch((error: unknown) => error);
    expect(twice).toBeInstanceOf(PersistentSubscriptionExistsError);
    const info = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(info.eventSource).toBe(stream);
    expect(info.settings.maxRetryCount).toBe(3);
    expect(info.settings.startFrom).toBe(END);
    expect((await client.listAllPersistentSubscriptions()).map((s) => s.groupName)).toContain('g');
    expect(await client.listPersistentSubscriptionsToStream(stream)).toHaveLength(1);

    await client.updatePersistentSubscriptionToStream(
      stream,
      'g',
      persistentSubscriptionToStreamSettingsFromDefaults({ maxRetryCount: 7, startFrom: START }),
    );
    const updated = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(updated.settings.maxRetryCount).toBe(7);
    expect(updated.settings.startFrom).toBe(START);

    await client.deletePersistentSubscriptionToStream(stream, 'g');
    const gone = await client
      .getPersistentSubscriptionToStreamInfo(stream, 'g')
      .catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
  });

  it('catches up from the start, then delivers live events, and acks advance the checkpoint', async () => {
    const stream = uniqueStream('ps-catchup');
    await client.appendToStream(stream, testEvents(3));
    await createGroup(stream, 'g', {
      startFrom: START,
      checkPointLowerBound: 1,
      checkPointUpperBound: 1,
    });
    const subscription = subscribe(stream, 'g');
    const received = consume(subscription);
    await until(() => received.length === 3, 'the three stored events');
    await client.appendToStream(stream, testEvents(2));
    await until(() => received.length === 5, 'the two live events');
    expect(received.map((e) => e.event!.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
    const info = await infoOnce(
      client,
      stream,
      (i) => i.stats.lastCheckpointedEventRevision === 4n,
    );
    expect(info.stats.lastCheckpointedEventRevision).toBe(4n);
    const checkpoints = await collect(
      client.readStream(`$persistentsubscription-${stream}::g-checkpoint`),
    );
    expect(checkpoints.at(-1)!.event!.type).toBe('$SubscriptionCheckpoint');
    expect(checkpoints.at(-1)!.event!.data).toBe(4);
  });

  it('starts from the end when told to: only events written after the group was created arrive', async () => {
    const stream = uniqueStream('ps-end');
    await client.appendToStream(stream, testEvents(2));
    await createGroup(stream, 'g', { startFrom: END });
    const received = consume(subscribe(stream, 'g'));
    await delay(100);
    await client.appendToStream(stream, testEvents(1));
    await until(() => received.length === 1, 'the live event');
    await delay(100);
    expect(received.map((e) => e.event!.revision)).toEqual([2n]);
  });

  it('nack retry delivers again with a growing retry count, and parks after the maximum retry count', async () => {
    const stream = uniqueStream('ps-retry');
    await client.appendToStream(stream, testEvents(1));
    await createGroup(stream, 'g', { startFrom: START, maxRetryCount: 2 });
    const subscription = subscribe(stream, 'g');
    const received = consume(subscription, (event) => subscription.nack('retry', 'not now', event));
    await until(() => received.length === 3, 'three deliveries');
    expect(received.map((e) => e.retryCount)).toEqual([0, 1, 2]);
    const parked = `$persistentsubscription-${stream}::g-parked`;
    const info = await infoOnce(client, stream, (i) => i.stats.parkedMessageCount === 1n);
    expect(info.stats.parkedMessageCount).toBe(1n);
    const links = await collect(client.readStream(parked, { resolveLinkTos: true }));
    expect(links.map((e) => e.event!.streamId)).toEqual([stream]);
    expect(links[0].link!.type).toBe('$>');
    await delay(100);
    expect(received).toHaveLength(3);
  });

  it('nack park parks at once, skip moves on, and replayParked delivers the parked events again', async () => {
    const stream = uniqueStream('ps-park');
    await client.appendToStream(stream, testEvents(3));
    await createGroup(stream, 'g', { startFrom: START });
    const subscription = subscribe(stream, 'g');
    let replaying = false;
    const received = consume(subscription, (event) => {
      if (replaying) return subscription.ack(event);
      if (indexOf(event) === 0) return subscription.nack('park', 'bad', event);
      if (indexOf(event) === 1) return subscription.nack('skip', 'irrelevant', event);
      return subscription.ack(event);
    });
    await until(() => received.length === 3, 'three deliveries');
    let info = await infoOnce(client, stream, (i) => i.stats.parkedMessageCount === 1n);
    expect(info.stats.parkedMessageCount).toBe(1n);
    replaying = true;
    await client.replayParkedMessagesToStream(stream, 'g');
    await until(() => received.length === 4, 'the replayed event');
    expect(indexOf(received[3])).toBe(0);
    info = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(info.stats.parkedMessageCount).toBe(0n);
  });

  it('an event not acked within the message timeout is delivered again', async () => {
    const stream = uniqueStream('ps-timeout');
    await client.appendToStream(stream, testEvents(1));
    await createGroup(stream, 'g', {
      startFrom: START,
      messageTimeout: 200,
      maxRetryCount: 5,
    });
    const subscription = subscribe(stream, 'g');
    const received = consume(subscription, async (event) => {
      if (event.retryCount >= 1) await subscription.ack(event);
    });
    await until(() => received.length === 2, 'the redelivery after the timeout');
    expect(received.map((e) => e.retryCount)).toEqual([0, 1]);
    await delay(500);
    expect(received).toHaveLength(2);
  });

  it('nack stop drops the consumers of the group; a consumer that returns gets the event again', async () => {
    const stream = uniqueStream('ps-stop');
    await client.appendToStream(stream, testEvents(1));
    await createGroup(stream, 'g', { startFrom: START });
    const first = subscribe(stream, 'g');
    let ended = false;
    first.on('error', () => (ended = true));
    first.on('end', () => (ended = true));
    first.on('close', () => (ended = true));
    const received = consume(first, (event) => first.nack('stop', 'stop', event));
    await until(() => received.length === 1 && ended, 'the stopped consumer to be dropped');
    const again = consume(subscribe(stream, 'g'));
    await until(() => again.length === 1, 'the redelivery');
    expect(indexOf(again[0])).toBe(0);
  });

  it('round robin spreads events over two consumers of one group, each event going to one of them', async () => {
    const stream = uniqueStream('ps-rr');
    await createGroup(stream, 'g', { consumerStrategyName: 'RoundRobin' });
    const a = consume(subscribe(stream, 'g'));
    const b = consume(subscribe(stream, 'g'));
    await delay(200);
    await client.appendToStream(stream, testEvents(10));
    await until(() => a.length + b.length === 10, 'ten deliveries');
    expect(a.length).toBe(5);
    expect(b.length).toBe(5);
    expect([...a, ...b].map(indexOf).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('writes a checkpoint after checkPointAfter once checkPointLowerBound events are handled', async () => {
    const stream = uniqueStream('ps-checkpoint-after');
    await client.appendToStream(stream, testEvents(2));
    await createGroup(stream, 'g', {
      startFrom: START,
      checkPointAfter: 300,
      checkPointLowerBound: 2,
      checkPointUpperBound: 1000,
    });
    const received = consume(subscribe(stream, 'g'));
    await until(() => received.length === 2, 'two deliveries');
    const checkpoints = `$persistentsubscription-${stream}::g-checkpoint`;
    const info = await infoOnce(
      client,
      stream,
      (i) => i.stats.lastCheckpointedEventRevision === 1n,
    );
    expect(info.stats.lastCheckpointedEventRevision).toBe(1n);
    expect((await collect(client.readStream(checkpoints))).map((e) => e.event!.data)).toEqual([1]);
  });

  it('refuses a consumer beyond maxSubscriberCount', async () => {
    const stream = uniqueStream('ps-max');
    await createGroup(stream, 'g', { maxSubscriberCount: 1 });
    consume(subscribe(stream, 'g'));
    await delay(200);
    const second = subscribe(stream, 'g');
    const failure = await new Promise<unknown>((resolve) => second.on('error', resolve));
    expect(failure).toBeInstanceOf(PersistentSubscriptionMaximumSubscribersReachedError);
  });

  it('dispatch to single sends to the first consumer until its buffer is full', async () => {
    const stream = uniqueStream('ps-single');
    await createGroup(stream, 'g', {
      consumerStrategyName: 'DispatchToSingle',
    });
    const first = subscribe(stream, 'g', 3);
    const held: Received[] = [];
    const a = consume(first, async (event) => {
      held.push(event);
    });
    await delay(200);
    const b = consume(subscribe(stream, 'g', 10));
    await delay(200);
    await client.appendToStream(stream, testEvents(5));
    await until(() => a.length + b.length === 5, 'five deliveries');
    expect(a.map(indexOf)).toEqual([0, 1, 2]);
    expect(b.map(indexOf)).toEqual([3, 4]);
  });

  it('pinned sends all events of one source stream to the same consumer', async () => {
    const category = uniqueStream('pinned').replace(/-/g, '');
    const group = 'pinned-group';
    await client.createPersistentSubscriptionToAll(
      group,
      persistentSubscriptionToAllSettingsFromDefaults({
        startFrom: END,
        consumerStrategyName: 'Pinned',
      }),
      { filter: streamNameFilter({ prefixes: [`${category}-`] }) },
    );
    const subscriptionA = client.subscribeToPersistentSubscriptionToAll(group);
    const subscriptionB = client.subscribeToPersistentSubscriptionToAll(group);
    open.push(subscriptionA, subscriptionB);
    const a = consume(subscriptionA);
    const b = consume(subscriptionB);
    await delay(200);
    // Five streams: an odd count, so that taking turns would split every stream over both consumers.
    const streams = Array.from({ length: 5 }, (_, i) => `${category}-${i}`);
    for (let round = 0; round < 3; round++)
      for (const stream of streams) await client.appendToStream(stream, testEvents(1));
    await until(() => a.length + b.length === 15, 'fifteen deliveries');
    const streamsOf = (events: Received[]) => new Set(events.map((e) => e.event!.streamId));
    for (const stream of streamsOf(a)) expect(streamsOf(b).has(stream)).toBe(false);
    expect(a.length + b.length).toBe(15);
    await client.deletePersistentSubscriptionToAll(group);
  });

  describe('statistics', () => {
    it('with extraStatistics each consumer reports its ack latencies as EventStoreDB does (mean, median, fastest, quintiles, percentiles, highest); without it none', async () => {
      const stream = uniqueStream('ps-extra');
      await client.appendToStream(stream, testEvents(6));
      for (const group of ['extra', 'plain']) {
        await createGroup(stream, group, {
          startFrom: START,
          extraStatistics: group === 'extra',
        });
      }
      const slow = subscribe(stream, 'extra');
      const acked: Received[] = [];
      consume(slow, async (event) => {
        await delay(40);
        await slow.ack(event);
        acked.push(event);
      });
      const plain = subscribe(stream, 'plain');
      const plainAcked = consume(plain);
      await until(() => acked.length === 6 && plainAcked.length === 6, 'six acks in each group');
      await delay(100);
      const info = await client.getPersistentSubscriptionToStreamInfo(stream, 'extra');
      expect(info.settings.extraStatistics).toBe(true);
      const latency = info.connections[0].extraStatistics!;
      expect([...latency.keys()]).toEqual([
        'mean',
        'median',
        'fastest',
        'quintile 1',
        'quintile 2',
        'quintile 3',
        'quintile 4',
        'quintile 5',
        '90%',
        '95%',
        '99%',
        '99.5%',
        '99.9%',
        'highest',
      ]);
      // Every ack came at least 40 ms after its delivery (a timer may fire a millisecond early).
      expect(latency.get('fastest')!).toBeGreaterThanOrEqual(39n);
      expect(latency.get('quintile 1')).toBe(latency.get('fastest'));
      expect(latency.get('median')!).toBeGreaterThanOrEqual(latency.get('fastest')!);
      expect(latency.get('highest')!).toBeGreaterThanOrEqual(latency.get('median')!);
      expect(latency.get('99.9%')).toBe(latency.get('highest'));
      expect(latency.get('mean')!).toBeGreaterThanOrEqual(latency.get('fastest')!);
      expect(latency.get('mean')!).toBeLessThanOrEqual(latency.get('highest')!);
      const without = await client.getPersistentSubscriptionToStreamInfo(stream, 'plain');
      expect(without.connections[0].extraStatistics).toBeUndefined();
    });

    it('each info request is a measurement: averagePerSecond and countSinceLastMeasurement cover the items since the previous one', async () => {
      const stream = uniqueStream('ps-rate');
      await client.appendToStream(stream, testEvents(10));
      const createdBefore = performance.now();
      await createGroup(stream, 'g', { startFrom: START });
      const createdAfter = performance.now();
      const subscription = subscribe(stream, 'g');
      const acked: Received[] = [];
      consume(subscription, async (event) => {
        await subscription.ack(event);
        acked.push(event);
      });
      await until(() => acked.length === 10, 'ten acks');
      await delay(100);
      const askedAt = performance.now();
      const info = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      const answeredAt = performance.now();
      expect(info.stats.countSinceLastMeasurement).toBe(10n);
      expect(info.stats.totalItems).toBe(10n);
      // The server measured over a window inside [createdBefore, answeredAt] and around
      // [createdAfter, askedAt].
      const rate = info.stats.averagePerSecond;
      expect(rate).toBeGreaterThanOrEqual(Math.floor(10_000 / (answeredAt - createdBefore)));
      expect(rate).toBeLessThanOrEqual(Math.ceil(10_000 / (askedAt - createdAfter)));
      const [connection] = info.connections;
      expect(connection.countSinceLastMeasurement).toBe(10n);
      expect(connection.averageItemsPerSecond).toBe(rate);
      const again = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      expect(again.stats.countSinceLastMeasurement).toBe(0n);
      expect(again.stats.averagePerSecond).toBe(0);
      expect(again.connections[0].countSinceLastMeasurement).toBe(0n);
    });
  });

  describe('buffers', () => {
    it('reads ahead readBatchSize events at a time while more than a batch fits below historyBufferSize', async () => {
      const stream = uniqueStream('ps-history');
      await client.appendToStream(stream, testEvents(100));
      await createGroup(stream, 'g', {
        startFrom: START,
        historyBufferSize: 20,
        readBatchSize: 5,
      });
      // No consumer yet: batches at 0, 5 and 10 buffered; at 15 a batch no longer fits.
      const idle = await client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      expect(idle.stats.readBufferCount).toBe(15);
      expect(idle.stats.lastKnownEventRevision).toBe(14n);
      expect(idle.status).toBe('Behind');
      // A consumer holding 3 unacked: 12 left in the buffer, room for one more batch (17).
      const received = consume(subscribe(stream, 'g', 3), () => Promise.resolve());
      await until(() => received.length === 3, 'three deliveries');
      const holding = await infoOnce(client, stream, (i) => i.stats.totalInFlightMessages === 3);
      expect(holding.stats.readBufferCount).toBe(17);
      expect(holding.stats.lastKnownEventRevision).toBe(19n);
    });

    it('refuses a group whose readBatchSize is not below historyBufferSize (EventStoreDB cannot build one)', async () => {
      const stream = uniqueStream('ps-batch');
      const refused = await createGroup(stream, 'g', {
        historyBufferSize: 10,
        readBatchSize: 10,
      }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toContain(
        'readBatchSize must be less than historyBufferSize',
      );
      const gone = await client
        .getPersistentSubscriptionToStreamInfo(stream, 'g')
        .catch((error: unknown) => error);
      expect(gone).toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
    });

    it('a live group keeps the newest liveBufferSize events; with its read buffer full it falls behind, and catching up rejoins the live events', async () => {
      const stream = uniqueStream('ps-live');
      await createGroup(stream, 'g', {
        startFrom: START,
        historyBufferSize: 10,
        readBatchSize: 2,
        liveBufferSize: 4,
      });
      await client.appendToStream(stream, testEvents(3));
      const live = await infoOnce(client, stream, (i) => i.stats.readBufferCount === 3);
      expect(live.status).toBe('Live');
      expect(live.stats.liveBufferCount).toBe(3n);
      await client.appendToStream(stream, testEvents(5));
      const bounded = await infoOnce(client, stream, (i) => i.stats.readBufferCount === 8);
      expect(bounded.stats.liveBufferCount).toBe(4n);
      // Two more fit in the read buffer (10); the group falls behind with three left out.
      await client.appendToStream(stream, testEvents(5));
      const behind = await infoOnce(client, stream, (i) => i.status === 'Behind');
      expect(behind.stats.readBufferCount).toBe(10);
      expect(behind.stats.liveBufferCount).toBe(4n);
      expect(behind.stats.lastKnownEventRevision).toBe(12n);
      const received = consume(subscribe(stream, 'g', 20));
      await until(() => received.length === 13, 'all thirteen events');
      await delay(100);
      expect(received.map((e) => e.event!.revision)).toEqual(
        Array.from({ length: 13 }, (_, i) => BigInt(i)),
      );
      const rejoined = await infoOnce(client, stream, (i) => i.stats.totalItems === 13n);
      expect(rejoined.status).toBe('Live');
      expect(rejoined.stats.liveBufferCount).toBe(0n);
    });
  });
});

describe('persistent subscriptions to $all', () => {
  it('deliver only what the filter lets through, from the start', async () => {
    const client = connect();
    const prefix = uniqueStream('psall').replace(/-/g, '');
    try {
      await client.appendToStream(`${prefix}-a`, testEvents(2));
      await client.appendToStream(uniqueStream('other'), testEvents(2));
      await client.createPersistentSubscriptionToAll(
        'all-group',
        persistentSubscriptionToAllSettingsFromDefaults({ startFrom: START }),
        { filter: streamNameFilter({ prefixes: [`${prefix}-`] }) },
      );
      const subscription = client.subscribeToPersistentSubscriptionToAll('all-group');
      const received = consume(subscription);
      await until(() => received.length === 2, 'the two matching events');
      await client.appendToStream(`${prefix}-b`, testEvents(1));
      await until(() => received.length === 3, 'the live matching event');
      expect(received.map((e) => e.event!.streamId)).toEqual([
        `${prefix}-a`,
        `${prefix}-a`,
        `${prefix}-b`,
      ]);
      const info = await client.getPersistentSubscriptionToAllInfo('all-group');
      expect(info.eventSource).toBe('$all');
      expect((await client.listPersistentSubscriptionsToAll()).map((s) => s.groupName)).toContain(
        'all-group',
      );
      await subscription.unsubscribe();
      await client.deletePersistentSubscriptionToAll('all-group');
    } finally {
      await client.dispose();
    }
  });
});

describe('persistent subscriptions across restarts', () => {
  it('the group and its checkpoint survive a restart of the server, and the subsystem restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'es-persistent-'));
    try {
      let server = await start({ port: 0, dataDir, log: () => undefined });
      let client = connect(server.connectionString);
      await client.appendToStream('orders', testEvents(5));
      await client.createPersistentSubscriptionToStream(
        'orders',
        'g',
        persistentSubscriptionToStreamSettingsFromDefaults({
          startFrom: START,
          checkPointLowerBound: 1,
          checkPointUpperBound: 1,
        }),
      );
      const subscription = client.subscribeToPersistentSubscriptionToStream('orders', 'g');
      const received = consume(subscription, async (event) => {
        if (indexOf(event) < 3) await subscription.ack(event);
      });
      await until(() => received.length === 5, 'five deliveries');
      let info = await infoOnce(
        client,
        'orders',
        (i) => i.stats.lastCheckpointedEventRevision === 2n,
      );
      expect(info.stats.lastCheckpointedEventRevision).toBe(2n);
      await subscription.unsubscribe();
      await client.dispose();
      await server.stop();

      server = await start({ port: 0, dataDir, log: () => undefined });
      client = connect(server.connectionString);
      try {
        info = await client.getPersistentSubscriptionToStreamInfo('orders', 'g');
        expect(info.stats.lastCheckpointedEventRevision).toBe(2n);
        const resumed = client.subscribeToPersistentSubscriptionToStream('orders', 'g');
        const after = consume(resumed);
        await until(() => after.length === 2, 'the events after the checkpoint');
        expect(after.map((e) => e.event!.revision)).toEqual([3n, 4n]);
        await client.restartPersistentSubscriptionSubsystem();
        expect((await client.listAllPersistentSubscriptions()).map((s) => s.groupName)).toEqual([
          'g',
        ]);
        await resumed.unsubscribe().catch(() => undefined);
      } finally {
        await client.dispose();
        await server.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
