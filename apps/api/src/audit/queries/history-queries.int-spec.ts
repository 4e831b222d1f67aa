import { NotFoundException } from '@nestjs/common';
import { upcast } from '@app/domain';
import { connectEventStore, StreamReader } from '@app/event-store';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { decodeHistoryCursor } from '../history-cursor';
import {
  GetHistoryHandler,
  GetHistoryQuery,
  StreamHistoryHandler,
  StreamHistoryQuery,
} from './get-history.query';

/** A customer with five events: registered (0), then purchases at revisions 1, 3, 5 and a call at 4. */
async function customerWithPurchases(stores: ApiStores): Promise<string> {
  const customerId = uniqueId('hist');
  await stores.register(customerId, { name: 'Ada' }, '2026-01-01T00:00:00Z');
  const purchase = (orderId: string, occurredAt: string) =>
    stores.touch(customerId, { kind: 'purchase', orderId, amount: 10, occurredAt });
  await purchase('o1', '2026-01-10T00:00:00Z');
  await stores.touch(customerId, { kind: 'inquiry', occurredAt: '2026-01-15T00:00:00Z' });
  await purchase('o2', '2026-02-10T00:00:00Z');
  return customerId;
}

describe(GetHistoryHandler.name, () => {
  let stores: ApiStores;
  let sut: GetHistoryHandler;
  let customerId: string;

  beforeAll(async () => {
    stores = await ApiStores.open('history');
    sut = new GetHistoryHandler(stores.reader);
    customerId = await customerWithPurchases(stores);
  });
  afterAll(() => stores.close());

  const page = (filter: object, limit: number, fromRevision = 0) =>
    sut.execute(new GetHistoryQuery(customerId, filter, limit, fromRevision));

  it('cuts pages by revision, with a cursor to the next one and none on the last', async () => {
    const all = await page({}, 1000);
    expect(all.nextCursor).toBeNull();
    const revisions = all.items.map((e) => e.revision);
    expect(revisions[0]).toBe(0);
    const first = await page({}, 2);
    expect(first.items.map((e) => e.revision)).toEqual(revisions.slice(0, 2));
    const next = decodeHistoryCursor(first.nextCursor!);
    expect(next).toBe(revisions[2]);
    const rest = await page({}, 1000, next);
    expect([...first.items, ...rest.items].map((e) => e.revision)).toEqual(revisions);
  });

  it('opens personal fields for the auditor', async () => {
    const [registered] = (await page({}, 1)).items;
    expect(registered.type).toBe('CustomerRegistered');
    expect(registered.data.name).toBe('Ada');
  });

  it('keeps only the types and business times asked for, and still says when there are more', async () => {
    const purchases = { types: new Set(['PurchaseRecorded']) };
    const first = await page(purchases, 1);
    expect(first.items.map((e) => [e.kind, e.data.orderId])).toEqual([['purchase', 'o1']]);
    expect(first.nextCursor).not.toBeNull();
    const second = await page(purchases, 1, decodeHistoryCursor(first.nextCursor!));
    expect(second.items.map((e) => e.data.orderId)).toEqual(['o2']);
    const january = await page(
      { ...purchases, from: Date.parse('2026-01-01'), to: Date.parse('2026-01-31') },
      10,
    );
    expect(january.items.map((e) => e.data.orderId)).toEqual(['o1']);
  });

  it('answers an empty page for a filter nothing matches, and 404 for a customer with no events', async () => {
    expect((await page({ types: new Set(['CustomerErased']) }, 10)).items).toEqual([]);
    await expect(
      sut.execute(new GetHistoryQuery(uniqueId('nobody'), {}, 10, 0)),
    ).rejects.toBeInstanceOf(NotFoundException);
  });

  it('leaves no read open after a filtered page that stopped early, so the client can be disposed', async () => {
    const client = connectEventStore(process.env.EVENTSTORE_URL!);
    const own = new GetHistoryHandler(new StreamReader(client, { upcast, keys: stores.keys }));
    const first = await own.execute(
      new GetHistoryQuery(customerId, { types: new Set(['PurchaseRecorded']) }, 1, 0),
    );
    expect(first.items.map((e) => e.revision)).toEqual([1]);
    const unfiltered = await own.execute(new GetHistoryQuery(customerId, {}, 2, 0));
    expect(unfiltered.nextCursor).not.toBeNull();
    // A read abandoned before its end keeps dispose() from ever resolving (libs/event-store README): jest's
    // timeout fails the test.
    await client.dispose();
  });

  it('reads a history longer than one page of the event store, with the filter across pages', async () => {
    const long = uniqueId('hist');
    await stores.register(long, {}, '2026-01-01T00:00:00Z');
    const ops = Array.from({ length: 1200 }, (_, n) =>
      n % 400 === 399
        ? {
            kind: 'purchase' as const,
            orderId: `o${n}`,
            amount: 1,
            occurredAt: '2026-01-10T00:00:00Z',
          }
        : { kind: 'inquiry' as const, occurredAt: '2026-01-10T00:00:00Z' },
    );
    for (const op of ops) await stores.touch(long, op);
    const all = await sut.execute(new GetHistoryQuery(long, {}, 5000, 0));
    const stored = (await stores.events(long)).length;
    expect(stored).toBeGreaterThan(1200);
    expect(all.items.map((e) => e.revision)).toEqual(Array.from({ length: stored }, (_, n) => n));
    const purchases = await sut.execute(
      new GetHistoryQuery(long, { types: new Set(['PurchaseRecorded']) }, 10, 0),
    );
    expect(purchases.items.map((e) => e.data.orderId)).toEqual(['o399', 'o799', 'o1199']);
  });
});

describe(StreamHistoryHandler.name, () => {
  let stores: ApiStores;
  let sut: StreamHistoryHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('history-stream');
    sut = new StreamHistoryHandler(stores.reader);
  });
  afterAll(() => stores.close());

  it('streams the filtered history from the revision asked', async () => {
    const customerId = await customerWithPurchases(stores);
    const events = await sut.execute(
      new StreamHistoryQuery(customerId, { types: new Set(['PurchaseRecorded']) }, 2),
    );
    const orders = [];
    for await (const event of events) orders.push(event.data.orderId);
    expect(orders).toEqual(['o2']);
  });

  it('fails with 404 before streaming anything for a customer with no events', async () => {
    await expect(
      sut.execute(new StreamHistoryQuery(uniqueId('nobody'), {}, 0)),
    ).rejects.toBeInstanceOf(NotFoundException);
  });
});
