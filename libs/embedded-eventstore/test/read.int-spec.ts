import {
  BACKWARDS,
  binaryEvent,
  END,
  type EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  START,
  StreamNotFoundError,
} from '@eventstore/db-client';
import {
  collect,
  connect,
  delay,
  revisions,
  testEvents,
  uniqueStream,
} from './conformance.helpers';

describe('reading a stream', () => {
  let client: EventStoreDBClient;
  let stream: string;

  beforeAll(async () => {
    client = connect();
    stream = uniqueStream('read');
    await client.appendToStream(stream, testEvents(10));
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('reads forwards from the start', async () => {
    expect(revisions(await collect(client.readStream(stream)))).toEqual(
      [...Array(10).keys()].map(BigInt),
    );
  });

  it('reads forwards from a revision, inclusive, with a count', async () => {
    const events = await collect(client.readStream(stream, { fromRevision: 4n, maxCount: 3 }));
    expect(revisions(events)).toEqual([4n, 5n, 6n]);
  });

  it('reads backwards from the end', async () => {
    const events = await collect(
      client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 3 }),
    );
    expect(revisions(events)).toEqual([9n, 8n, 7n]);
  });

  it('reads backwards from a revision, inclusive', async () => {
    const events = await collect(
      client.readStream(stream, { direction: BACKWARDS, fromRevision: 2n }),
    );
    expect(revisions(events)).toEqual([2n, 1n, 0n]);
  });

  it('reads nothing forwards from the end or past the last revision', async () => {
    expect(
      await collect(client.readStream(stream, { direction: FORWARDS, fromRevision: END })),
    ).toEqual([]);
    expect(await collect(client.readStream(stream, { fromRevision: 50n }))).toEqual([]);
  });

  it('reads backwards from the start as just the first event', async () => {
    const events = await collect(
      client.readStream(stream, { direction: BACKWARDS, fromRevision: START }),
    );
    expect(revisions(events)).toEqual([0n]);
  });

  it('reports a stream that was never written as not found', async () => {
    const missing = uniqueStream('read-missing');
    const failure = await collect(client.readStream(missing)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StreamNotFoundError);
    expect((failure as StreamNotFoundError).streamName).toBe(missing);
  });

  it('carries the stream name, revision and position of every event', async () => {
    const [event] = await collect(client.readStream(stream, { fromRevision: 3n, maxCount: 1 }));
    expect(event.event).toMatchObject({ streamId: stream, revision: 3n, type: 'TestEvent' });
    expect(event.event!.position!.commit).toBeGreaterThanOrEqual(0n);
  });
});

describe('reading $all', () => {
  let client: EventStoreDBClient;

  beforeAll(() => {
    client = connect();
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('reads forwards from a position, inclusive, in commit order', async () => {
    const stream = uniqueStream('all-forwards');
    await client.appendToStream(stream, testEvents(3));
    const [first] = await collect(client.readStream(stream, { maxCount: 1 }));
    const events = await collect(
      client.readAll({ fromPosition: first.event!.position!, maxCount: 3 }),
    );
    expect(events.map((e) => [e.event!.streamId, e.event!.revision])).toEqual([
      [stream, 0n],
      [stream, 1n],
      [stream, 2n],
    ]);
    const commits = events.map((e) => e.commitPosition!);
    expect(commits[0]).toBe(first.event!.position!.commit);
    expect(commits[1]).toBeGreaterThan(commits[0]);
  });

  it('reads nothing forwards from the end or backwards from the start', async () => {
    expect(await collect(client.readAll({ fromPosition: END, maxCount: 5 }))).toEqual([]);
    expect(
      await collect(client.readAll({ direction: BACKWARDS, fromPosition: START, maxCount: 5 })),
    ).toEqual([]);
  });

  it('reads forwards from the start', async () => {
    const events = await collect(client.readAll({ fromPosition: START, maxCount: 5 }));
    expect(events).toHaveLength(5);
    for (let i = 1; i < events.length; i++) {
      expect(events[i].event!.position!.commit).toBeGreaterThan(
        events[i - 1].event!.position!.commit,
      );
    }
  });

  it('reads backwards from the end, newest first, including the latest append', async () => {
    const stream = uniqueStream('all-backwards');
    const appended = await client.appendToStream(stream, testEvents(2));
    const events = await collect(
      client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 50 }),
    );
    for (let i = 1; i < events.length; i++) {
      expect(events[i].event!.position!.commit).toBeLessThan(events[i - 1].event!.position!.commit);
    }
    expect(events[0].event!.position!.commit).toBeGreaterThanOrEqual(appended.position!.commit);
    expect(
      events.filter((e) => e.event!.streamId === stream).map((e) => e.event!.revision),
    ).toEqual([1n, 0n]);
  });

  it('reads backwards from a position, exclusive of the event at that position', async () => {
    const stream = uniqueStream('all-backwards-position');
    await client.appendToStream(stream, testEvents(3));
    const stored = await collect(client.readStream(stream));
    const events = await collect(
      client.readAll({
        direction: BACKWARDS,
        fromPosition: stored[2].event!.position!,
        maxCount: 2,
      }),
    );
    expect(events.map((e) => [e.event!.streamId, e.event!.revision])).toEqual([
      [stream, 1n],
      [stream, 0n],
    ]);
  });

  it('includes system events such as stream metadata', async () => {
    const stream = uniqueStream('all-system');
    const result = await client.setStreamMetadata(stream, { maxCount: 5 });
    const events = await collect(client.readAll({ fromPosition: result.position!, maxCount: 1 }));
    expect(events[0].event).toMatchObject({ streamId: `$$${stream}`, type: '$metadata' });
  });
});

describe('link events', () => {
  let client: EventStoreDBClient;

  beforeAll(() => {
    client = connect();
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('are resolved to the event they point at when asked, and returned as links otherwise', async () => {
    const target = uniqueStream('link-target');
    const links = uniqueStream('link-source');
    await client.appendToStream(target, testEvents(3));
    await client.appendToStream(
      links,
      binaryEvent({ type: '$>', data: new Uint8Array(Buffer.from(`1@${target}`)) }),
    );

    const [resolved] = await collect(client.readStream(links, { resolveLinkTos: true }));
    expect(resolved.event).toMatchObject({ streamId: target, revision: 1n, type: 'TestEvent' });
    expect(resolved.link).toMatchObject({ streamId: links, revision: 0n, type: '$>' });

    const [raw] = await collect(client.readStream(links));
    expect(raw.event).toMatchObject({ streamId: links, type: '$>' });
    expect(raw.link).toBeUndefined();
  });

  it('pointing at nothing come back as the bare link when resolving', async () => {
    const links = uniqueStream('link-dangling');
    await client.appendToStream(
      links,
      binaryEvent({ type: '$>', data: new Uint8Array(Buffer.from(`7@${uniqueStream('void')}`)) }),
    );
    const [dangling] = await collect(client.readStream(links, { resolveLinkTos: true }));
    expect(dangling.event).toBeUndefined();
    expect(dangling.link).toMatchObject({ streamId: links, type: '$>' });
  });
});

describe('stream metadata', () => {
  let client: EventStoreDBClient;

  beforeAll(() => {
    client = connect();
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('round-trips custom properties next to the reserved ones', async () => {
    const stream = uniqueStream('meta-custom');
    await client.setStreamMetadata(stream, { maxCount: 7, owner: 'crm', tags: ['a', 'b'] });
    const { metadata } = await client.getStreamMetadata(stream);
    expect(metadata).toEqual({ maxCount: 7, owner: 'crm', tags: ['a', 'b'] });
  });

  it('is absent for a stream that never had any', async () => {
    const result = await client.getStreamMetadata(uniqueStream('meta-none'));
    expect(result.metadata).toBeUndefined();
  });

  it('returns only the latest metadata, guarded by its own expected revision', async () => {
    const stream = uniqueStream('meta-latest');
    await client.setStreamMetadata(stream, { owner: 'first' }, { expectedRevision: 'no_stream' });
    await client.setStreamMetadata(stream, { owner: 'second' }, { expectedRevision: 0n });
    await expect(
      client.setStreamMetadata(stream, { owner: 'third' }, { expectedRevision: 0n }),
    ).rejects.toThrow();
    expect((await client.getStreamMetadata(stream)).metadata).toEqual({ owner: 'second' });
  });

  it('maxCount keeps only the newest events readable', async () => {
    const stream = uniqueStream('meta-maxcount');
    await client.appendToStream(stream, testEvents(6));
    await client.setStreamMetadata(stream, { maxCount: 2 });
    expect(revisions(await collect(client.readStream(stream)))).toEqual([4n, 5n]);
    expect(
      revisions(
        await collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END })),
      ),
    ).toEqual([5n, 4n]);
  });

  it('truncateBefore hides revisions below it', async () => {
    const stream = uniqueStream('meta-tb');
    await client.appendToStream(stream, testEvents(5));
    await client.setStreamMetadata(stream, { truncateBefore: 3 });
    expect(revisions(await collect(client.readStream(stream)))).toEqual([3n, 4n]);
    expect(revisions(await collect(client.readStream(stream, { fromRevision: 1n })))).toEqual([
      3n,
      4n,
    ]);
  });

  it('maxAge hides events older than the given number of seconds', async () => {
    const stream = uniqueStream('meta-maxage');
    await client.appendToStream(stream, testEvents(2));
    await client.setStreamMetadata(stream, { maxAge: 1 });
    expect(await collect(client.readStream(stream))).toHaveLength(2);
    await delay(1600);
    await client.appendToStream(stream, jsonEvent({ type: 'Fresh', data: {} }));
    const events = await collect(client.readStream(stream));
    expect(events.map((e) => e.event!.type)).toEqual(['Fresh']);
  });
});
