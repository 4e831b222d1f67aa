import { type Db, MongoClient } from 'mongodb';
import { type CustomerState, emptyActivity } from '@app/domain';
import {
  AS_OF_SNAPSHOTS_COLLECTION,
  type AsOfSnapshot,
  AsOfSnapshotStore,
  emptyProfile,
} from '@app/read-models';
import { comparable, uniqueId } from '@app/testing';

const at = (iso: string) => Date.parse(iso);

/** A snapshot whose state and profile hold each kind of value the codec must keep as it is. */
function snapshotOf(
  customerId: string,
  revision: number,
  bounds: { recordedUntil: string; occurredUntil: string },
): AsOfSnapshot {
  const activity = {
    ...emptyActivity,
    touchpoints: emptyActivity.touchpoints.set('spec|t1', true).set('spec|t2', true),
    orders: emptyActivity.orders.set('o1', { currency: 'EUR', paid: 12.5 }),
    complaints: new Map([['c1', 'open' as const]]),
    purchaseCount: revision,
    lifetimeSpend: -0,
    ledger: emptyActivity.ledger
      .add(at('2026-02-01'), [10, 2, 1, 0])
      .add(at('2026-01-01'), [5, 1, 1, 0.5]),
  };
  const state: CustomerState = {
    status: 'prospect',
    customerId,
    origin: 'registration',
    registeredAt: '2026-01-01T00:00:00.000Z',
    profile: { name: 'v1:sealed-name', email: undefined },
    consents: new Map([
      ['marketing', { status: 'granted', grantedAt: '2026-01-02T00:00:00.000Z', source: 'web' }],
    ]),
    membership: null,
    lifecycle: null,
    mergedIntoCustomerId: null,
    activity,
  };
  const profile = emptyProfile(customerId);
  profile.registeredAt = new Date('2026-01-01T00:00:00.000Z');
  profile.personal = { name: { sealed: 'v1:sealed-name', path: 'name' } };
  profile.spendByDay = [{ day: new Date('2026-02-01'), amount: 10, margin: 2 }];
  return {
    revision,
    tip: { eventId: `event-${revision}`, chain: revision % 2 ? 'ab12' : null },
    recordedUntil: at(bounds.recordedUntil),
    occurredUntil: at(bounds.occurredUntil),
    eventsApplied: revision + 1,
    state,
    profile,
  };
}

describe(AsOfSnapshotStore.name, () => {
  let client: MongoClient;
  let db: Db;
  let sut: AsOfSnapshotStore;
  const database = uniqueId('asofsnap').replace(/-/g, '_');
  const version = 'fold-1:rules-a';

  beforeAll(async () => {
    client = await new MongoClient(process.env.MONGODB_URL!).connect();
    db = client.db(database);
    sut = new AsOfSnapshotStore(db);
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  const documents = (customerId: string) =>
    db
      .collection(AS_OF_SNAPSHOTS_COLLECTION)
      .find({ customerId }, { projection: { payload: 0 } })
      .sort({ revision: 1 })
      .toArray();

  it('reads back, in another store on the same database, exactly the state and profile it stored', async () => {
    const customerId = uniqueId('c');
    const stored = snapshotOf(customerId, 999, {
      recordedUntil: '2026-03-01T00:00:00.000Z',
      occurredUntil: '2026-02-01T00:00:00.000Z',
    });
    expect(await sut.save(customerId, version, stored, { final: false })).toBe('saved');
    const back = await new AsOfSnapshotStore(db).newestUsable(
      customerId,
      version,
      at('2026-12-01'),
      at('2026-12-01'),
    );
    expect(comparable(back)).toStrictEqual(comparable(stored));
    expect(back!.state.status === 'prospect' && 'email' in back!.state.profile).toBe(true);
    expect(
      back!.state.status === 'prospect' && Object.is(back!.state.activity.lifetimeSpend, -0),
    ).toBe(true);
  });

  it('finds the newest snapshot whose bounds a query is at or after, of its own fold version only', async () => {
    const customerId = uniqueId('c');
    const early = { recordedUntil: '2026-01-10T00:00:00Z', occurredUntil: '2026-01-05T00:00:00Z' };
    const late = { recordedUntil: '2026-03-10T00:00:00Z', occurredUntil: '2026-03-05T00:00:00Z' };
    await sut.save(customerId, version, snapshotOf(customerId, 999, early), { final: false });
    await sut.save(customerId, version, snapshotOf(customerId, 1999, late), { final: false });
    const usable = (atIso: string, knownIso: string, fold = version) =>
      sut.newestUsable(customerId, fold, at(atIso), at(knownIso)).then((found) => found?.revision);

    expect(await usable('2026-12-01', '2026-12-01')).toBe(1999);
    expect(await usable('2026-03-05', '2026-03-10')).toBe(1999);
    expect(await usable('2026-03-04', '2026-12-01')).toBe(999);
    expect(await usable('2026-12-01', '2026-03-09')).toBe(999);
    expect(await usable('2026-01-04', '2026-12-01')).toBeUndefined();
    expect(await usable('2026-12-01', '2026-12-01', 'fold-2:rules-a')).toBeUndefined();
  });

  it('keeps one final snapshot per customer beside the regular ones, and drops those of other fold versions', async () => {
    const customerId = uniqueId('c');
    const bounds = { recordedUntil: '2026-01-10T00:00:00Z', occurredUntil: '2026-01-05T00:00:00Z' };
    await sut.save(customerId, 'fold-0:old', snapshotOf(customerId, 999, bounds), { final: false });
    await sut.save(customerId, version, snapshotOf(customerId, 999, bounds), { final: false });
    await sut.save(customerId, version, snapshotOf(customerId, 1200, bounds), { final: true });
    await sut.save(customerId, version, snapshotOf(customerId, 1350, bounds), { final: true });
    expect((await documents(customerId)).map((doc) => [doc.foldVersion, doc.revision])).toEqual([
      [version, 999],
      [version, 1350],
    ]);
  });

  it('forgets every snapshot of one customer and no other', async () => {
    const [erased, kept] = [uniqueId('c'), uniqueId('c')];
    const bounds = { recordedUntil: '2026-01-10T00:00:00Z', occurredUntil: '2026-01-05T00:00:00Z' };
    for (const id of [erased, kept]) {
      await sut.save(id, version, snapshotOf(id, 999, bounds), { final: false });
      await sut.save(id, version, snapshotOf(id, 1001, bounds), { final: true });
    }
    expect(await sut.forget(erased)).toBe(2);
    expect(await documents(erased)).toEqual([]);
    expect(await documents(kept)).toHaveLength(2);
    expect(await sut.newestUsable(erased, version, Date.now(), Date.now())).toBeUndefined();
  });

  it('indexes the collection on (customerId, revision)', async () => {
    await sut.setup();
    const indexes = await db.collection(AS_OF_SNAPSHOTS_COLLECTION).indexes();
    expect(indexes.map((index) => index.key)).toContainEqual({ customerId: 1, revision: 1 });
  });

  it('stores nothing for a snapshot too large for one MongoDB document', async () => {
    const customerId = uniqueId('c');
    const huge = snapshotOf(customerId, 999, {
      recordedUntil: '2026-01-10T00:00:00Z',
      occurredUntil: '2026-01-05T00:00:00Z',
    });
    huge.profile.complaints.open = Array.from({ length: 16 }, (_, i) =>
      `${i}`.padEnd(1 << 20, 'x'),
    );
    expect(await sut.save(customerId, version, huge, { final: true })).toBe('too-large');
    expect(await documents(customerId)).toEqual([]);
  });
});
