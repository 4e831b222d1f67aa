import { randomUUID } from 'node:crypto';
import {
  binaryEvent,
  type EventStoreDBClient,
  jsonEvent,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { start } from '@app/embedded-eventstore';
import {
  APPEND_PATHS,
  appendPaths,
  collect,
  connect,
  revisions,
  testEvents,
  uniqueStream,
} from './conformance.helpers';

describe.each(APPEND_PATHS)('appending through %s', (_path, via) => {
  let client: EventStoreDBClient;

  beforeAll(() => {
    client = connect();
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('creates a stream with expected revision no_stream and reports its revision and position', async () => {
    const stream = uniqueStream('append-new');
    const result = await client.appendToStream(stream, testEvents(3), {
      ...via,
      expectedRevision: 'no_stream',
    });
    expect(result.success).toBe(true);
    expect(result.nextExpectedRevision).toBe(2n);
    expect(result.position!.commit).toBeGreaterThanOrEqual(result.position!.prepare);
    expect(revisions(await collect(client.readStream(stream)))).toEqual([0n, 1n, 2n]);
  });

  it('appends with expected revision any whether or not the stream exists', async () => {
    const stream = uniqueStream('append-any');
    await client.appendToStream(stream, testEvents(1), { ...via, expectedRevision: 'any' });
    const second = await client.appendToStream(stream, testEvents(2), {
      ...via,
      expectedRevision: 'any',
    });
    expect(second.nextExpectedRevision).toBe(2n);
  });

  it('refuses no_stream on an existing stream with the actual revision', async () => {
    const stream = uniqueStream('append-nostream');
    await client.appendToStream(stream, testEvents(2), via);
    const failure = await client
      .appendToStream(stream, testEvents(1), { ...via, expectedRevision: 'no_stream' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WrongExpectedVersionError);
    expect((failure as WrongExpectedVersionError).actualVersion).toBe(1n);
    expect((failure as WrongExpectedVersionError).streamName).toBe(stream);
    expect(await collect(client.readStream(stream))).toHaveLength(2);
  });

  it('refuses stream_exists on a missing stream and accepts it once the stream exists', async () => {
    const stream = uniqueStream('append-exists');
    const failure = await client
      .appendToStream(stream, testEvents(1), { ...via, expectedRevision: 'stream_exists' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WrongExpectedVersionError);
    expect((failure as WrongExpectedVersionError).actualVersion).toBe('no_stream');
    await client.appendToStream(stream, testEvents(1), via);
    const result = await client.appendToStream(stream, testEvents(1), {
      ...via,
      expectedRevision: 'stream_exists',
    });
    expect(result.nextExpectedRevision).toBe(1n);
  });

  it('accepts an exact expected revision that matches and refuses one that does not', async () => {
    const stream = uniqueStream('append-exact');
    await client.appendToStream(stream, testEvents(3), via);
    const ok = await client.appendToStream(stream, testEvents(1), { ...via, expectedRevision: 2n });
    expect(ok.nextExpectedRevision).toBe(3n);
    const failure = await client
      .appendToStream(stream, testEvents(1), { ...via, expectedRevision: 1n })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WrongExpectedVersionError);
    expect((failure as WrongExpectedVersionError).actualVersion).toBe(3n);
    expect((failure as WrongExpectedVersionError).expectedVersion).toBe(1n);
  });

  it('refuses an exact expected revision on a stream that does not exist', async () => {
    const failure = await client
      .appendToStream(uniqueStream('append-exact-missing'), testEvents(1), {
        ...via,
        expectedRevision: 0n,
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WrongExpectedVersionError);
    expect((failure as WrongExpectedVersionError).actualVersion).toBe('no_stream');
  });

  it('treats a re-sent append (same ids, same expected revision) as done, without duplicates', async () => {
    const stream = uniqueStream('append-idempotent');
    await client.appendToStream(stream, testEvents(2), via);
    const batch = testEvents(3);
    const first = await client.appendToStream(stream, batch, { ...via, expectedRevision: 1n });
    const again = await client.appendToStream(stream, batch, { ...via, expectedRevision: 1n });
    expect(again).toEqual(first);
    const stored = await collect(client.readStream(stream));
    expect(stored.map((e) => e.event!.id)).toEqual([
      ...stored.slice(0, 2).map((e) => e.event!.id),
      ...batch.map((e) => e.id),
    ]);
  });

  it('treats a re-sent append with expected revision any as done', async () => {
    const stream = uniqueStream('append-idempotent-any');
    const batch = testEvents(2);
    const first = await client.appendToStream(stream, batch, via);
    const again = await client.appendToStream(stream, batch, via);
    expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
    expect(await collect(client.readStream(stream))).toHaveLength(2);
  });

  it('keeps id, type, content type, data and metadata exactly', async () => {
    const stream = uniqueStream('append-roundtrip');
    const json = jsonEvent({
      id: randomUUID(),
      type: 'CustomerRegistered',
      data: { name: 'Zoë «quoted»', nested: { list: [1, 2.5, null, true] } },
      metadata: { correlationId: randomUUID(), causation: 'test' },
    });
    const bytes = Buffer.from([0, 1, 2, 254, 255, 10, 13]);
    const binary = binaryEvent({
      id: randomUUID(),
      type: 'Blob',
      data: new Uint8Array(bytes),
      metadata: new Uint8Array(Buffer.from('raw-metadata')),
    });
    await client.appendToStream(stream, [json, binary], via);
    const [first, second] = await collect(client.readStream(stream));
    expect(first.event).toMatchObject({
      id: json.id,
      type: 'CustomerRegistered',
      isJson: true,
      streamId: stream,
      revision: 0n,
      data: json.data,
      metadata: json.metadata,
    });
    expect(second.event).toMatchObject({
      id: binary.id,
      type: 'Blob',
      isJson: false,
      revision: 1n,
    });
    expect(Buffer.from(second.event!.data as Uint8Array)).toEqual(bytes);
    expect(Buffer.from(second.event!.metadata as Uint8Array).toString()).toBe('raw-metadata');
    expect(first.event!.created.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('hands out ever-increasing commit and prepare positions', async () => {
    const stream = uniqueStream('append-positions');
    const results = [];
    for (let i = 0; i < 5; i++)
      results.push(await client.appendToStream(stream, testEvents(2), via));
    for (let i = 1; i < results.length; i++) {
      expect(results[i].position!.commit).toBeGreaterThan(results[i - 1].position!.commit);
      expect(results[i].position!.prepare).toBeGreaterThan(results[i - 1].position!.prepare);
    }
    const stored = await collect(client.readStream(stream));
    const positions = stored.map((e) => e.event!.position!.commit);
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('refuses appends to a tombstoned stream', async () => {
    const stream = uniqueStream('append-tombstoned');
    await client.appendToStream(stream, testEvents(1), via);
    await client.tombstoneStream(stream);
    await expect(client.appendToStream(stream, testEvents(1), via)).rejects.toBeInstanceOf(
      StreamDeletedError,
    );
  });

  it('refuses an append over the default 1 MiB maximum and stores nothing of it', async () => {
    const stream = uniqueStream('append-too-big');
    const big = binaryEvent({ type: 'Big', data: new Uint8Array(1024 * 1024 + 1) });
    const failure = await client.appendToStream(stream, big, via).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MaxAppendSizeExceededError);
    expect((failure as MaxAppendSizeExceededError).maxAppendSize).toBe(1024 * 1024);
    await expect(collect(client.readStream(stream))).rejects.toThrow(/not found/);
  });
});

describe('a server configured with a small maximum append size', () => {
  it('refuses appends whose events together exceed it, on both append paths', async () => {
    const server = await start({ port: 0, mem: true, maxAppendSize: 4096 });
    const client = connect(server.connectionString);
    try {
      for (const [, via] of appendPaths(server.connectionString)) {
        const stream = uniqueStream('small-max');
        const events = Array.from({ length: 3 }, () =>
          binaryEvent({ type: 'Chunk', data: new Uint8Array(1500) }),
        );
        const failure = await client
          .appendToStream(stream, events, via)
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(MaxAppendSizeExceededError);
        expect((failure as MaxAppendSizeExceededError).maxAppendSize).toBe(4096);
        const fits = await client.appendToStream(stream, events.slice(0, 2), via);
        expect(fits.nextExpectedRevision).toBe(1n);
      }
    } finally {
      await client.dispose();
      await server.stop();
    }
  });
});
