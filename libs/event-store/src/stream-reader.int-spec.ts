import { binaryEvent, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { MemoryKeyStore, uniqueId } from '@app/testing';
import { sealPersonalFields, type StoredEvent, StreamReader } from '@app/event-store';

async function collect<T>(events: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe(StreamReader.name, () => {
  let client: EventStoreDBClient;
  const keys = new MemoryKeyStore();
  // Each test writes under its own prefix, so `$all` reads see only its streams.
  const prefixFor = () => `${uniqueId('rd').replace(/-/g, '')}-`;

  const sut = () =>
    new StreamReader(client, {
      upcast: (type, version, data) =>
        version < 2 ? { ...(data as object), upcastFrom: version } : data,
      personalFields: { Noted: ['note'] },
      keys,
    });

  /** Appends `count` events to `<prefix><entity>`, the note sealed under the entity's key. */
  async function write(prefix: string, entity: string, notes: string[], schemaVersion = 1) {
    const key = (await keys.obtain([entity])).get(entity)!;
    const result = await client.appendToStream(
      `${prefix}${entity}`,
      notes.map((note, n) =>
        jsonEvent({
          type: 'Noted',
          data: sealPersonalFields({ n, note }, ['note'], key, entity),
          metadata: { schemaVersion, eventId: `id-${n}` },
        }),
      ),
    );
    return result.position!;
  }

  beforeAll(() => {
    client = EventStoreDBClient.connectionString(process.env.EVENTSTORE_URL!);
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('opens personal fields with the entity key, or leaves them sealed for the read side', async () => {
    const prefix = prefixFor();
    await write(prefix, 'a', ['Call Mrs Smith']);
    const [opened] = await collect(sut().readStream(`${prefix}a`, { entityId: 'a' }));
    expect(opened).toMatchObject<Partial<StoredEvent>>({
      type: 'Noted',
      data: { n: 0, note: 'Call Mrs Smith', upcastFrom: 1 },
      streamId: `${prefix}a`,
      revision: 0,
    });
    expect(typeof opened.position.commit).toBe('bigint');
    const [sealed] = await collect(
      sut().readStream(`${prefix}a`, { entityId: 'a', open: 'sealed' }),
    );
    expect(sealed.data.note).toMatch(/^enc:v1:/);
    expect(sealed.data.upcastFrom).toBe(1);
  });

  it('drops personal fields of an erased entity', async () => {
    const prefix = prefixFor();
    const entity = uniqueId('gone');
    await write(prefix, entity, ['secret']);
    await keys.destroy(entity);
    const [event] = await collect(sut().readStream(`${prefix}${entity}`, { entityId: entity }));
    expect(event.data).toEqual({ n: 0, upcastFrom: 1 });
  });

  it('reads from a revision forwards, or backwards with a count, and skips records that are not JSON', async () => {
    const prefix = prefixFor();
    const stream = `${prefix}b`;
    await write(prefix, 'b', ['zero', 'one']);
    await client.appendToStream(stream, binaryEvent({ type: 'Blob', data: Buffer.from([1, 2]) }));
    await write(prefix, 'b', ['three'], 2);
    const forwards = await collect(sut().readStream(stream, { fromRevision: 1, entityId: 'b' }));
    expect(forwards.map((e) => [e.revision, e.data.note])).toEqual([
      [1, 'one'],
      [3, 'three'],
    ]);
    const records = await collect(sut().readStreamRecords(stream, { entityId: 'b' }));
    expect(records.map((r) => [r.revision, r.event !== undefined])).toEqual([
      [0, true],
      [1, true],
      [2, false],
      [3, true],
    ]);
    const newest = await collect(
      sut().readStream(stream, { direction: 'backwards', maxCount: 2, entityId: 'b' }),
    );
    expect(newest.map((e) => e.revision)).toEqual([3]);
    expect(newest[0].data).toEqual({ n: 0, note: 'three' });
  });

  it('reads nothing from a stream that does not exist', async () => {
    expect(await collect(sut().readStream(`${prefixFor()}none`))).toEqual([]);
  });

  it('reads $all from a position, only the streams under the prefix, in log order', async () => {
    const prefix = prefixFor();
    const other = prefixFor();
    await write(prefix, 'c1', ['first']);
    const from = await write(other, 'c1', ['elsewhere']);
    const second = await write(prefix, 'c2', ['second']);
    await write(prefix, 'c1', ['third']);
    const events = await collect(sut().readAll({ prefix, fromPosition: from }));
    expect(events.map((e) => [e.streamId, e.data.note])).toEqual([
      [`${prefix}c2`, 'second'],
      [`${prefix}c1`, 'third'],
    ]);
    expect(events[0].position).toEqual(second);
    const sealed = await collect(sut().readAll({ prefix, fromPosition: from, open: 'sealed' }));
    expect(sealed[0].data.note).toMatch(/^enc:v1:/);
  });

  it('subscribes after a position to the prefixed streams and ends cleanly on unsubscribe', async () => {
    const prefix = prefixFor();
    const after = await write(prefix, 's1', ['before']);
    const subscription = sut().subscribe({ prefix, afterPosition: after, open: 'sealed' });
    const seen: StoredEvent[] = [];
    const done = (async () => {
      for await (const event of subscription) {
        seen.push(event);
        if (seen.length === 3) await subscription.unsubscribe();
      }
    })();
    await write(prefixFor(), 's1', ['not ours']);
    await write(prefix, 's2', ['one', 'two']);
    await write(prefix, 's1', ['three']);
    await done;
    expect(seen.map((e) => [e.streamId, e.revision])).toEqual([
      [`${prefix}s2`, 0],
      [`${prefix}s2`, 1],
      [`${prefix}s1`, 1],
    ]);
    expect(seen[0].data.note).toMatch(/^enc:v1:/);
  });

  it('lets the client close after a consumer stopped reading early', async () => {
    const prefix = prefixFor();
    await write(prefix, 'd', ['a', 'b', 'c', 'd']);
    const own = EventStoreDBClient.connectionString(process.env.EVENTSTORE_URL!);
    const reader = new StreamReader(own, { upcast: (_t, _v, data) => data });
    for await (const event of reader.readStream(`${prefix}d`, { open: 'sealed' })) {
      expect(event.revision).toBe(0);
      break;
    }
    for await (const event of reader.subscribe({ prefix, open: 'sealed' })) {
      expect(event.revision).toBe(0);
      break;
    }
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      own.dispose().then(() => 'closed'),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('hanging'), 5000);
      }),
    ]);
    clearTimeout(timer);
    expect(closed).toBe('closed');
  });
});
