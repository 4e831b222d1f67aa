import { binaryEvent, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { MemoryKeyStore, uniqueId } from '@app/testing';
import { sealPersonalFields, StreamReader } from '@app/event-store';
import { StreamStates } from './stream-states';

type Event = { type: 'Noted'; data: { n: number; note?: string } };

describe(StreamStates.name, () => {
  let client: EventStoreDBClient;
  const keys = new MemoryKeyStore();
  let folded: Event[];

  beforeAll(() => {
    client = EventStoreDBClient.connectionString(process.env.EVENTSTORE_URL!);
  });
  afterAll(() => client.dispose());
  beforeEach(() => {
    folded = [];
  });

  const newStates = (size = 10) =>
    new StreamStates<Event, number[]>(
      new StreamReader(client, {
        upcast: (_type, _version, data) => data,
        personalFields: { Noted: ['note'] },
        keys,
      }),
      {
        initialState: [],
        evolve: (state, event) => {
          folded.push(event);
          return [...state, event.data.n];
        },
        streamId: (id) => `states-${id}`,
      },
      size,
    );

  async function write(
    entity: string,
    ns: number[],
    extra: { chain?: string; note?: string } = {},
  ) {
    const key = extra.note ? (await keys.obtain([entity])).get(entity)! : undefined;
    await client.appendToStream(
      `states-${entity}`,
      ns.map((n) =>
        jsonEvent({
          type: 'Noted',
          data: key ? sealPersonalFields({ n, note: extra.note }, ['note'], key, entity) : { n },
          metadata: extra.chain ? { chain: `${extra.chain}-${n}` } : {},
        }),
      ),
    );
  }

  it('folds a stream it never saw from the start and remembers where it stopped', async () => {
    const entity = uniqueId('st');
    await write(entity, [1, 2, 3]);
    const sut = newStates();
    expect(sut.lastSeen(entity)).toEqual({ state: [], revision: -1 });
    const snapshot = await sut.catchUp(entity);
    expect(snapshot).toMatchObject({ state: [1, 2, 3], revision: 2 });
    expect(sut.lastSeen(entity)).toEqual(snapshot);
  });

  it('reads only what was appended since the revision it last saw', async () => {
    const entity = uniqueId('st');
    await write(entity, [1, 2]);
    const sut = newStates();
    await sut.catchUp(entity);
    await write(entity, [3]);
    folded = [];
    const snapshot = await sut.catchUp(entity);
    expect(folded.map((event) => event.data.n)).toEqual([3]);
    expect(snapshot).toMatchObject({ state: [1, 2, 3], revision: 2 });
  });

  it('hands the domain the payload, not the stored envelope', async () => {
    const entity = uniqueId('st');
    await write(entity, [1], { chain: 'c' });
    await newStates().catchUp(entity);
    expect(folded).toEqual([{ type: 'Noted', data: { n: 1 } }]);
  });

  it('keeps the chain of the last event, and none after an unchained one', async () => {
    const entity = uniqueId('st');
    await write(entity, [1, 2], { chain: 'c' });
    const sut = newStates();
    expect((await sut.catchUp(entity)).chain).toBe('c-2');
    await write(entity, [3]);
    expect((await sut.catchUp(entity)).chain).toBeUndefined();
  });

  it('marks a stream that holds sealed personal data, and keeps the mark after later events', async () => {
    const entity = uniqueId('st');
    await write(entity, [1]);
    const sut = newStates();
    expect((await sut.catchUp(entity)).sealed).toBeUndefined();
    await write(entity, [2], { note: 'private' });
    await write(entity, [3]);
    expect((await sut.catchUp(entity)).sealed).toBe(true);
  });

  it('counts a record that is not an event for the revision without folding it', async () => {
    const entity = uniqueId('st');
    await write(entity, [1]);
    await client.appendToStream(`states-${entity}`, [
      binaryEvent({ type: 'Blob', data: Buffer.from([0]) }),
    ]);
    const snapshot = await newStates().catchUp(entity);
    expect(snapshot).toMatchObject({ state: [1], revision: 1 });
  });

  it('does not remember a stream that does not exist', async () => {
    const entity = uniqueId('st');
    const sut = newStates();
    expect(await sut.catchUp(entity)).toEqual({ state: [], revision: -1 });
    await write(entity, [1]);
    folded = [];
    await sut.catchUp(entity);
    expect(folded).toHaveLength(1);
  });

  it('keeps the streams used most recently and reads a forgotten or evicted one from the start', async () => {
    const [a, b, c] = [uniqueId('st'), uniqueId('st'), uniqueId('st')];
    for (const entity of [a, b, c]) await write(entity, [1]);
    const sut = newStates(2);
    await sut.catchUp(a);
    await sut.catchUp(b);
    sut.lastSeen(a); // a is now the most recently used: c evicts b
    await sut.catchUp(c);
    expect(sut.lastSeen(a).revision).toBe(0);
    expect(sut.lastSeen(b).revision).toBe(-1);
    sut.forget(a);
    expect(sut.lastSeen(a)).toEqual({ state: [], revision: -1 });
  });
});
