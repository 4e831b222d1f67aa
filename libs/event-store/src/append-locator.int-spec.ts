import { binaryEvent, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { uniqueId } from '@app/testing';
import { StreamReader } from '@app/event-store';
import { AppendLocator } from './append-locator';

describe(AppendLocator.name, () => {
  let client: EventStoreDBClient;
  let sut: AppendLocator;

  beforeAll(() => {
    client = EventStoreDBClient.connectionString(process.env.EVENTSTORE_URL!);
    sut = new AppendLocator(new StreamReader(client, { upcast: (_type, _version, data) => data }));
  });
  afterAll(() => client.dispose());

  /** One append of events with these ids, stamped with `appendId` (none: events from before appendIds). */
  async function append(streamId: string, ids: string[], appendId?: string) {
    const result = await client.appendToStream(
      streamId,
      ids.map((id) =>
        jsonEvent({
          id,
          type: 'Noted',
          data: { id },
          metadata: appendId === undefined ? {} : { appendId },
        }),
      ),
    );
    return Number(result.position!.commit);
  }

  it('says an append stored its events when the first event at its revision carries its appendId', async () => {
    const stream = uniqueId('loc');
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    await append(stream, [crypto.randomUUID()], 'append-0');
    await append(stream, [a, b], 'append-1');
    expect(await sut.storedBy(stream, 1, 'append-1')).toBe(true);
  });

  it('says an append stored nothing when the events at its revision came from another append', async () => {
    const stream = uniqueId('loc');
    const ids = [crypto.randomUUID()];
    await append(stream, ids, 'theirs');
    // The same ids at the same expected revision: the event store answers success and stores nothing.
    await client.appendToStream(
      stream,
      ids.map((id) =>
        jsonEvent({ id, type: 'Noted', data: { id }, metadata: { appendId: 'ours' } }),
      ),
      { expectedRevision: 'no_stream' },
    );
    expect(await sut.storedBy(stream, 0, 'ours')).toBe(false);
    expect(await sut.storedBy(stream, 0, 'theirs')).toBe(true);
  });

  it('says nothing was stored at a revision the stream does not reach, or in a stream that does not exist', async () => {
    const stream = uniqueId('loc');
    await append(stream, [crypto.randomUUID()], 'append-1');
    expect(await sut.storedBy(stream, 1, 'append-1')).toBe(false);
    expect(await sut.storedBy(uniqueId('missing'), 0, 'append-1')).toBe(false);
  });

  it('locates each event with its revision and the position of the whole append that stored it', async () => {
    const stream = uniqueId('loc');
    const [a, b, c, d] = Array.from({ length: 4 }, () => crypto.randomUUID());
    const pair = await append(stream, [a, b], 'append-1');
    const single = await append(stream, [c], 'append-2');
    await append(stream, [d], 'append-3');
    const located = await sut.locate(stream, [a, b, c]);
    expect(Object.fromEntries(located)).toEqual({
      [a]: { revision: 0, position: pair },
      [b]: { revision: 1, position: pair },
      [c]: { revision: 2, position: single },
    });
  });

  it('gives events without an appendId their own position, and leaves out ids the stream lacks', async () => {
    const stream = uniqueId('loc');
    const [old1, old2, missing] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const first = await append(stream, [old1]);
    const second = await append(stream, [old2]);
    const located = await sut.locate(stream, [old1, old2, missing]);
    expect(Object.fromEntries(located)).toEqual({
      [old1]: { revision: 0, position: first },
      [old2]: { revision: 1, position: second },
    });
  });

  it('does not join two appends with one appendId across a record that is not an event', async () => {
    const stream = uniqueId('loc');
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    const before = await append(stream, [a], 'same');
    await client.appendToStream(stream, [binaryEvent({ type: 'Blob', data: Buffer.from([1]) })]);
    await append(stream, [b], 'same');
    const located = await sut.locate(stream, [a]);
    expect(located.get(a)).toEqual({ revision: 0, position: before });
  });

  it('finds events further back than one page of the backwards read', async () => {
    const stream = uniqueId('loc');
    const ids = Array.from({ length: 150 }, () => crypto.randomUUID());
    const positions = [];
    for (let at = 0; at < ids.length; at += 50) {
      positions.push(await append(stream, ids.slice(at, at + 50), `append-${at}`));
    }
    const located = await sut.locate(stream, [ids[0], ids[75], ids[149]]);
    expect(Object.fromEntries(located)).toEqual({
      [ids[0]]: { revision: 0, position: positions[0] },
      [ids[75]]: { revision: 75, position: positions[1] },
      [ids[149]]: { revision: 149, position: positions[2] },
    });
  });

  it('leaves no read open once it has found what it looked for, so the client can be disposed', async () => {
    const stream = uniqueId('loc');
    const ids = Array.from({ length: 5 }, () => crypto.randomUUID());
    await append(stream, ids, 'append-1');
    const own = EventStoreDBClient.connectionString(process.env.EVENTSTORE_URL!);
    const located = await new AppendLocator(
      new StreamReader(own, { upcast: (_type, _version, data) => data }),
    ).locate(stream, [ids[4]]);
    expect(located.get(ids[4])?.revision).toBe(4);
    // A read abandoned before its end keeps dispose() from ever resolving (see the README): jest's timeout fails it.
    await own.dispose();
  });
});
