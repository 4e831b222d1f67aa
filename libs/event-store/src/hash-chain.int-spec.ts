import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { MemoryKeyStore, uniqueId } from '@app/testing';
import {
  chainHash,
  checkStreamChain,
  DeciderStore,
  type DeciderDefinition,
  StreamReader,
} from '@app/event-store';

type Command = { type: 'Add'; id: string; note?: string };
type Event = { type: 'Added'; data: { id: string; note?: string } };

const definition: DeciderDefinition<Command, Event, { n: number }> = {
  initialState: { n: 0 },
  evolve: (state) => ({ n: state.n + 1 }),
  decide: (command) => [
    { type: 'Added', data: { id: command.id, ...(command.note ? { note: command.note } : {}) } },
  ],
  streamId: (id) => `chained-${id}`,
  personalFields: { Added: ['note'] },
  carriesPersonalData: (event) => event.data.note !== undefined,
  schemaVersion: () => 1,
  // Upcasting changes the payload: the chain must be over the payload as stored, not as read.
  upcast: (_type, _version, data) => ({ ...(data as object), upcast: true }),
  occurredAt: (_event, fallback) => fallback,
};

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

const context = { actor: 'tester', source: 'int-spec', correlationId: 'corr-1' };
const add = (id: string, note?: string) => ({
  command: { type: 'Add' as const, id, note },
  context,
  now: '2026-01-01T00:00:00.000Z',
});

describe('hash chain on the append path', () => {
  let client: EventStoreDBClient;
  let reader: StreamReader;
  const keys = new MemoryKeyStore();

  beforeAll(() => {
    client = EventStoreDBClient.connectionString(process.env.EVENTSTORE_URL!);
    reader = new StreamReader(client, { upcast: definition.upcast });
  });
  afterAll(() => client.dispose());

  const store = (options = {}) => new DeciderStore(client, definition, keys, options);

  it('chains every appended event, across stores and batches, over the sealed payload', async () => {
    const entity = uniqueId('c');
    await store().execute(entity, add('a', 'private note'));
    await store().executeMany(entity, [add('b'), add('c', 'another')]);
    // A process that never saw the stream reads ahead and continues the chain from the last event.
    await store().execute(entity, add('d'));
    const report = await checkStreamChain(reader, definition.streamId(entity));
    expect(report).toMatchObject({ events: 4, chained: 4, unchained: 0, firstBreak: null });
  });

  it('reports an event forged through the client with a plausible but wrong chain', async () => {
    const entity = uniqueId('c');
    const streamId = definition.streamId(entity);
    await store().execute(entity, add('a'));
    const [last] = await collect(
      reader.readStream(streamId, { open: 'stored', direction: 'backwards', maxCount: 1 }),
    );
    // Chained to the real previous event, but the payload was changed after hashing.
    const eventId = crypto.randomUUID();
    const metadata = { ...last.metadata, eventId };
    const chain = chainHash(last.metadata.chain!, {
      eventId,
      type: 'Added',
      data: { id: 'forged' },
      metadata,
    });
    await client.appendToStream(
      streamId,
      jsonEvent({
        id: eventId,
        type: 'Added',
        data: { id: 'forged', amount: 1_000_000 },
        metadata: { ...metadata, chain },
      }),
    );
    const report = await checkStreamChain(reader, streamId);
    expect(report.firstBreak).toMatchObject({
      streamId,
      revision: 1,
      reason: 'mismatch',
      found: chain,
    });
    expect(report.firstBreak?.expected).not.toBe(chain);
  });

  it('reports an event appended without a chain after the chain started', async () => {
    const entity = uniqueId('c');
    const streamId = definition.streamId(entity);
    await store().execute(entity, add('a'));
    await client.appendToStream(
      streamId,
      jsonEvent({ type: 'Added', data: { id: 'sneaked in' }, metadata: { actor: 'x' } }),
    );
    const report = await checkStreamChain(reader, streamId);
    expect(report.firstBreak).toMatchObject({ revision: 1, reason: 'missing', found: null });
  });

  it('events from before chaining are unchained, and the chain starts after them', async () => {
    const entity = uniqueId('c');
    const streamId = definition.streamId(entity);
    await client.appendToStream(streamId, [
      jsonEvent({ type: 'Added', data: { id: 'old-1' }, metadata: { schemaVersion: 1 } }),
      jsonEvent({ type: 'Added', data: { id: 'old-2' }, metadata: { schemaVersion: 1 } }),
    ]);
    await store().execute(entity, add('new'));
    const report = await checkStreamChain(reader, streamId);
    expect(report).toMatchObject({ events: 3, unchained: 2, chained: 1, firstBreak: null });
  });

  it('the benchmark baseline stores no chain and plaintext personal fields', async () => {
    const entity = uniqueId('c');
    const streamId = definition.streamId(entity);
    await store({ benchmarkBaseline: { plaintext: true, unchained: true } }).execute(
      entity,
      add('a', 'visible'),
    );
    const [event] = await collect(reader.readStream(streamId, { open: 'stored' }));
    expect(event.metadata.chain).toBeUndefined();
    expect(event.data.note).toBe('visible');
    expect(event.data.upcast).toBeUndefined();
  });
});
