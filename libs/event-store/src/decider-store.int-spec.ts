import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { MemoryKeyStore, uniqueId } from '@app/testing';
import {
  checkStreamChain,
  DeciderStore,
  type DeciderDefinition,
  RevisionMismatchError,
  StreamReader,
} from '@app/event-store';

// A small decider of its own keeps these tests about the store, not about customer rules.
type Command =
  { type: 'Add'; id: string; note?: string } | { type: 'Fail' } | { type: 'Repeat'; id: string };
type Event = { type: 'Added'; data: { id: string; note?: string } };
interface State {
  ids: readonly string[];
}

const definition: DeciderDefinition<Command, Event, State> = {
  initialState: { ids: [] },
  evolve: (state, event) => ({ ids: [...state.ids, event.data.id] }),
  decide: (command, state) => {
    if (command.type === 'Fail') throw Object.assign(new Error('refused'), { code: 'REFUSED' });
    if (command.type === 'Repeat') {
      if (!state.ids.includes(command.id))
        throw Object.assign(new Error('unknown'), { code: 'UNKNOWN' });
      return [{ type: 'Added', data: { id: `${command.id}-again` } }];
    }
    if (state.ids.includes(command.id)) return [];
    return [
      { type: 'Added', data: { id: command.id, ...(command.note ? { note: command.note } : {}) } },
    ];
  },
  streamId: (id) => `counter-${id}`,
  personalFields: { Added: ['note'] },
  carriesPersonalData: (event) => event.data.note !== undefined,
  schemaVersion: () => 2,
  upcast: (_type, version, data) => ({ ...(data as object), readAsVersion: version }),
  occurredAt: (_event, fallback) => fallback,
};

const context = { actor: 'tester', source: 'int-spec', correlationId: 'corr-1' };
const add = (id: string, note?: string) => ({
  command: { type: 'Add' as const, id, note },
  context,
  now: '2026-01-01T00:00:00.000Z',
  eventId: () => uuidFor(id),
});
// Deterministic ids per logical item, as touchpoints have.
const ids = new Map<string, string>();
function uuidFor(id: string): string {
  if (!ids.has(id)) ids.set(id, crypto.randomUUID());
  return ids.get(id)!;
}

describe(DeciderStore.name, () => {
  let client: EventStoreDBClient;
  let otherProcess: EventStoreDBClient;
  const keys = new MemoryKeyStore();

  beforeAll(() => {
    client = EventStoreDBClient.connectionString(process.env.EVENTSTORE_URL!);
    otherProcess = EventStoreDBClient.connectionString(process.env.EVENTSTORE_URL!);
  });
  afterAll(async () => {
    await client.dispose();
    await otherProcess.dispose();
  });

  const newStore = (c = client) => new DeciderStore(c, definition, keys);

  it('appends with the revision it loaded and a fresh store folds the same state', async () => {
    const entity = uniqueId('e');
    const sut = newStore();
    const first = await sut.execute(entity, add('a'));
    const second = await sut.execute(entity, add('b'));
    expect([first.revision, second.revision]).toEqual([0, 1]);
    expect(second.position).toBeGreaterThan(first.position!);
    expect(await newStore().load(entity)).toEqual({ state: { ids: ['a', 'b'] }, revision: 1 });
  });

  it('answers a retry from a process that never saw the stream as a duplicate, not a new write', async () => {
    const entity = uniqueId('e');
    await newStore().execute(entity, add('first'));
    await newStore().execute(entity, add('second'));
    const result = await newStore(otherProcess).execute(entity, add('second'));
    expect(result.events).toEqual([]);
    expect(result.revision).toBe(1);
  });

  it('decides against the stored state, not an empty one, in a process that never saw the stream', async () => {
    const entity = uniqueId('e');
    await newStore().execute(entity, add('a'));
    const result = await newStore(otherProcess).execute(entity, {
      command: { type: 'Repeat', id: 'a' },
      context,
      now: '2026-01-01T00:00:00.000Z',
    });
    expect(result.state.ids).toEqual(['a', 'a-again']);
  });

  it('reads what another process appended before refusing a command its cached state would refuse', async () => {
    const entity = uniqueId('e');
    const sut = newStore();
    await sut.execute(entity, add('mine'));
    await newStore(otherProcess).execute(entity, add('theirs'));
    const result = await sut.execute(entity, {
      command: { type: 'Repeat', id: 'theirs' },
      context,
      now: '2026-01-01T00:00:00.000Z',
    });
    expect(result.state.ids).toEqual(['mine', 'theirs', 'theirs-again']);
  });

  it('sees what another process appended since its cached revision', async () => {
    const entity = uniqueId('e');
    const sut = newStore();
    await sut.execute(entity, add('mine'));
    await otherProcess.appendToStream(definition.streamId(entity), [
      jsonEvent({ type: 'Added', data: { id: 'theirs' }, metadata: { schemaVersion: 2 } }),
    ]);
    const result = await sut.execute(entity, add('mine-again'));
    expect(result.state.ids).toEqual(['mine', 'theirs', 'mine-again']);
    expect(result.revision).toBe(2);
  });

  it('loses nothing when two processes write one stream at the same time', async () => {
    const entity = uniqueId('e');
    const [a, b] = [newStore(client), newStore(otherProcess)];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).execute(entity, add(`item-${i}`))),
    );
    const { state, revision } = await newStore().load(entity);
    expect(revision).toBe(39);
    expect([...state.ids].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `item-${i}`).sort());
  });

  it('stores one event for 32 concurrent duplicates sent through two processes', async () => {
    const entity = uniqueId('e');
    const [a, b] = [newStore(client), newStore(otherProcess)];
    await Promise.all(
      Array.from({ length: 32 }, (_, i) => (i % 2 ? a : b).execute(entity, add('same'))),
    );
    expect(await newStore().load(entity)).toEqual({ state: { ids: ['same'] }, revision: 0 });
  });

  it('reports exactly one of 32 concurrent duplicates sent through two processes as appended', async () => {
    const entity = uniqueId('e');
    const [a, b] = [newStore(client), newStore(otherProcess)];
    await a.execute(entity, add('before'));
    await b.load(entity);
    const results = await Promise.all(
      Array.from({ length: 32 }, (_, i) => (i % 2 ? a : b).execute(entity, add('same'))),
    );
    expect(results.filter((result) => result.events.length > 0)).toHaveLength(1);
    expect(await newStore().load(entity)).toEqual({
      state: { ids: ['before', 'same'] },
      revision: 1,
    });
  });

  it('answers an append the event store took as a re-send of another process append as nothing to do', async () => {
    const entity = uniqueId('e');
    const [a, b] = [newStore(client), newStore(otherProcess)];
    await a.execute(entity, add('first'));
    await b.load(entity);
    const original = await a.execute(entity, add('same'));
    // b still holds revision 0: it appends the same id at the same expected revision, which the store answers
    // as an idempotent write of a's append.
    const resent = await b.execute(entity, add('same'));
    expect(original.events).toHaveLength(1);
    expect(resent).toMatchObject({ events: [], revision: 1 });
    // b now chains from the event as stored, not from the one it meant to write.
    await b.execute(entity, add('after'));
    const reader = new StreamReader(client, { upcast: (_type, _version, data) => data });
    const report = await checkStreamChain(reader, definition.streamId(entity));
    expect(report).toMatchObject({ events: 3, chained: 3, firstBreak: null });
  });

  it('reads an append back only when the caller says another writer may have sent its ids', async () => {
    const entity = uniqueId('e');
    const [a, b] = [newStore(client), newStore(otherProcess)];
    await a.execute(entity, add('first'));
    await b.load(entity);
    await a.execute(entity, add('same'));
    const asked: string[][] = [];
    const trusting = async (eventIds: readonly string[]) => {
      asked.push([...eventIds]);
      return false;
    };
    // Told that nobody else sent it, b takes the store's answer as it is.
    const resent = await b.execute(entity, add('same'), { mayBeResent: trusting });
    expect(asked).toEqual([[uuidFor('same')]]);
    expect(resent.events).toHaveLength(1);
  });

  it('stamps one appendId on the events of an append and another on the next', async () => {
    const entity = uniqueId('e');
    const sut = newStore();
    await sut.executeMany(entity, [add('a'), add('b')]);
    await sut.execute(entity, add('c'));
    const appendIds = [];
    for await (const event of sut.read(entity)) appendIds.push(event.metadata.appendId);
    expect(appendIds[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(appendIds[1]).toBe(appendIds[0]);
    expect(appendIds[2]).not.toBe(appendIds[0]);
  });

  it('locates events by id with the position their append answered', async () => {
    const entity = uniqueId('e');
    const sut = newStore();
    const pair = await sut.executeMany(entity, [add('a'), add('b')]);
    const single = await sut.execute(entity, add('c'));
    // An event older than appendIds is its own append.
    const older = await otherProcess.appendToStream(definition.streamId(entity), [
      jsonEvent({ id: uuidFor('old'), type: 'Added', data: { id: 'old' }, metadata: {} }),
    ]);
    await sut.execute(entity, add('d'));
    const located = await newStore(otherProcess).locate(entity, [
      uuidFor('a'),
      uuidFor('b'),
      uuidFor('c'),
      uuidFor('old'),
      uuidFor('never'),
    ]);
    expect(Object.fromEntries(located)).toEqual({
      [uuidFor('a')]: { revision: 0, position: pair.position },
      [uuidFor('b')]: { revision: 1, position: pair.position },
      [uuidFor('c')]: { revision: 2, position: single.position },
      [uuidFor('old')]: { revision: 3, position: Number(older.position!.commit) },
    });
  });

  it('refuses an expected revision that is not the current one and appends nothing', async () => {
    const entity = uniqueId('e');
    const sut = newStore();
    await sut.execute(entity, add('a'));
    await sut.execute(entity, add('b'));
    const attempt = sut.execute(entity, add('c'), { expectedRevision: 0 });
    await expect(attempt).rejects.toBeInstanceOf(RevisionMismatchError);
    await expect(attempt).rejects.toMatchObject({
      expected: 0,
      actual: 1,
      code: 'REVISION_MISMATCH',
    });
    expect((await newStore().load(entity)).revision).toBe(1);
  });

  it('appends the accepted commands of a batch in one write and reports the refused ones', async () => {
    const entity = uniqueId('e');
    const result = await newStore().executeMany(entity, [
      add('x'),
      { command: { type: 'Fail' }, context, now: '2026-01-01T00:00:00.000Z' },
      add('x'),
      add('y'),
    ]);
    expect(result.outcomes.map((o) => (o.ok ? o.events.length : 'refused'))).toEqual([
      1,
      'refused',
      0,
      1,
    ]);
    expect(result.revision).toBe(1);
  });

  it('seals personal fields with the entity key, opens them on read and drops them once the key is gone', async () => {
    const entity = uniqueId('e');
    const sut = newStore();
    await sut.execute(entity, add('a', 'Call Mrs Smith'));
    const raw = [];
    for await (const { event } of client.readStream(definition.streamId(entity))) raw.push(event);
    expect(JSON.stringify(raw[0]?.data)).not.toContain('Smith');
    const opened = [];
    for await (const stored of newStore().read(entity)) opened.push(stored);
    expect(opened[0].data).toEqual({ id: 'a', note: 'Call Mrs Smith', readAsVersion: 2 });
    expect(opened[0].metadata).toMatchObject({ ...context, causationId: null, schemaVersion: 2 });
    await keys.destroy(entity);
    const erased = [];
    for await (const stored of newStore().read(entity)) erased.push(stored);
    expect(erased[0].data).toEqual({ id: 'a', readAsVersion: 2 });
  });
  describe('prepare', () => {
    /** Counts the key store calls a decision makes, around the same in-memory keys. */
    function countingKeys() {
      const calls: string[] = [];
      const counted = {
        obtain: (ids: readonly string[]) => {
          calls.push(`obtain ${ids.length}`);
          return keys.obtain(ids);
        },
        lookup: (ids: readonly string[]) => {
          calls.push(`lookup ${ids.length}`);
          return keys.lookup(ids);
        },
        destroy: (id: string) => keys.destroy(id),
      };
      return { calls, counted };
    }

    it('gets the keys of many new streams in one call, and their decisions need no key call of their own', async () => {
      const { calls, counted } = countingKeys();
      const sut = new DeciderStore(client, definition, counted);
      const entities = [uniqueId('e'), uniqueId('e'), uniqueId('e')];
      await sut.prepare(entities);
      expect(calls).toEqual(['lookup 3', 'obtain 3']);
      expect(entities.every((entity) => keys.keys.get(entity))).toBe(true);
      calls.length = 0;
      for (const entity of entities) await sut.execute(entity, add(`${entity}-a`, 'Call Mr Jones'));
      // Each append still asks for its key (the key store answers from its cache), but nothing reads it first.
      expect(calls).toEqual(['obtain 1', 'obtain 1', 'obtain 1']);
      for (const entity of entities) {
        const stored = [];
        for await (const event of newStore().read(entity)) stored.push(event.data);
        expect(stored).toEqual([{ id: `${entity}-a`, note: 'Call Mr Jones', readAsVersion: 2 }]);
      }
    });

    it('loses nothing when another process writes a prepared stream before the decision', async () => {
      const entity = uniqueId('e');
      const sut = newStore();
      await sut.prepare([entity]);
      await newStore(otherProcess).execute(entity, add(`${entity}-other`, 'From elsewhere'));
      await sut.execute(entity, add(`${entity}-mine`, 'From here'));
      const stored = [];
      for await (const event of newStore().read(entity)) stored.push(event.data.id);
      expect(stored).toEqual([`${entity}-other`, `${entity}-mine`]);
    });
  });
});
