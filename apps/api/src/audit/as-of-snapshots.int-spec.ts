import { setTimeout as pause } from 'node:timers/promises';
import { ConsoleLogger, Logger } from '@nestjs/common';
import type { CustomerCommand } from '@app/domain';
import { AS_OF_SNAPSHOTS_COLLECTION, AsOfSnapshotStore, connectMongo } from '@app/read-models';
import { comparable, testServers, uniqueId, until } from '@app/testing';
import { ApiStores } from '../testing/api-stores';
import { CapturingLogger } from '../testing/capturing-logger';
import { asOfFoldVersion } from './as-of-fold-version';
import { AsOfSnapshots } from './as-of-snapshots';
import { GetAsOfHandler, GetAsOfQuery } from './queries/get-as-of.query';

const DAY = 86_400_000;
const EVERY = 500;

describe(AsOfSnapshots.name, () => {
  let stores: ApiStores;
  let store: AsOfSnapshotStore;
  let foldVersion: string;

  beforeAll(async () => {
    stores = await ApiStores.open('as-of-snapshots');
    store = new AsOfSnapshotStore(stores.mongo.db);
    foldVersion = asOfFoldVersion(stores.config.rules);
  });
  afterAll(() => stores.close());

  /** The snapshots of one API process: memory first, then this suite's MongoDB database. */
  const newProcess = (version = foldVersion) =>
    new AsOfSnapshots({ every: EVERY, persisted: { store, foldVersion: version } });
  const handler = (snapshots: AsOfSnapshots) =>
    new GetAsOfHandler(stores.reader, stores.keys, stores.config, snapshots);
  /** The answer from the stream's start, with nothing cached anywhere. */
  const cold = (query: GetAsOfQuery) => handler(new AsOfSnapshots()).execute(query);
  const persistedOf = (customerId: string) =>
    stores.mongo.db
      .collection(AS_OF_SNAPSHOTS_COLLECTION)
      .find({ customerId }, { projection: { payload: 0 } })
      .toArray();

  /** A registered customer with `touchpoints` touchpoints of every common kind, a day apart from 2023 on. */
  async function generatedCustomer(touchpoints: number): Promise<string> {
    const customerId = uniqueId('asof-gen');
    const now = () => new Date().toISOString();
    await stores.register(
      customerId,
      { name: 'Grace Hopper', email: 'grace@example.org', phone: '+44 20 7946 0123' },
      '2023-01-01T00:00:00Z',
    );
    const commands: CustomerCommand[] = [];
    for (let n = 0; n < touchpoints; n += 1) {
      const base = {
        type: 'RecordTouchpoint',
        customerId,
        touchpointId: `tp-${n}`,
        source: 'spec',
        channel: n % 3 === 0 ? 'web' : 'store',
        direction: 'inbound',
        occurredAt: new Date(Date.parse('2023-01-02T00:00:00Z') + n * DAY * 0.3).toISOString(),
        note: `contact ${n} with Grace`,
        now: now(),
      };
      const details = [
        { kind: 'purchase', orderId: `o-${n}`, amount: 10 + (n % 97) + 0.35, margin: 2.5 },
        { kind: 'visit', page: `/account/grace?visit=${n}` },
        { kind: 'feedback', score: 1 + (n % 5), nps: n % 11, comment: 'fine' },
        { kind: 'refund', orderId: `o-${n - 3}`, amount: 1.1 },
        { kind: 'complaint_opened', complaintId: `c-${n}`, category: 'delivery' },
        { kind: 'complaint_resolved', complaintId: `c-${n - 1}`, resolution: 'sent again' },
        { kind: 'inquiry', topic: 'billing' },
      ][n % 7];
      commands.push({ ...base, ...details } as CustomerCommand);
    }
    for (let from = 0; from < commands.length; from += 500) {
      await stores.customers.executeMany(
        customerId,
        commands.slice(from, from + 500).map((command) => ({
          command,
          context: stores.context,
          now: now(),
        })),
      );
    }
    return customerId;
  }

  describe('over a generated customer of a few thousand events', () => {
    let customerId: string;
    let knownBeforeBackfill: Date;
    /** The process that folded the stream first and wrote its snapshots. */
    let first: AsOfSnapshots;

    beforeAll(async () => {
      customerId = await generatedCustomer(2500);
      knownBeforeBackfill = new Date();
      await pause(20);
      // Recorded last, effective long ago: no snapshot taken before it covers a query that includes it.
      await stores.touch(customerId, {
        kind: 'purchase',
        orderId: 'backfill',
        amount: 25_000,
        occurredAt: '2023-06-15T00:00:00Z',
      });
      first = newProcess();
      await handler(first).execute(new GetAsOfQuery(customerId, new Date(), new Date(), 'auditor'));
      await first.flush();
    });

    const queries = () =>
      [
        ['now', new Date(), new Date()],
        ['now, known before the back-dated purchase', new Date(), knownBeforeBackfill],
        ['mid-2024', new Date('2024-07-01T00:00:00Z'), new Date()],
        [
          'mid-2024, known before the back-dated purchase',
          new Date('2024-07-01T00:00:00Z'),
          knownBeforeBackfill,
        ],
        ['just after the back-dated purchase', new Date('2023-06-16T00:00:00Z'), new Date()],
        ['early 2023', new Date('2023-02-01T00:00:00Z'), new Date()],
      ] as const;

    it('writes the snapshots of a fold to MongoDB behind the answer: the regular ones and the last', async () => {
      const revisions = (await persistedOf(customerId)).map((doc) => doc.revision as number);
      const lastRevision = (await stores.events(customerId, { open: 'sealed' })).at(-1)!.revision;
      expect(revisions.sort((a, b) => a - b)).toEqual([
        ...Array.from(
          { length: Math.floor((lastRevision + 1) / EVERY) },
          (_, i) => (i + 1) * EVERY - 1,
        ),
        lastRevision,
      ]);
    });

    it('answers every moment and knownAt in a new process from MongoDB exactly as a fold from the start', async () => {
      for (const [, at, knownAt] of queries()) {
        const query = new GetAsOfQuery(customerId, at, knownAt, 'auditor');
        expect(await handler(newProcess()).execute(query)).toEqual(await cold(query));
      }
    });

    it('reads back from MongoDB exactly the state and profile the first process kept', async () => {
      let resumed = 0;
      for (const [name, at, knownAt] of queries()) {
        const kept = first.usable(customerId, at.getTime(), knownAt.getTime());
        const read = await newProcess().startFor(customerId, at.getTime(), knownAt.getTime());
        expect([name, read?.revision]).toEqual([name, kept?.revision]);
        if (!kept) continue;
        resumed += 1;
        expect(comparable(read)).toStrictEqual(comparable(kept));
      }
      // Only a query before the first snapshot's bounds finds none.
      expect(resumed).toBe(queries().length - 1);
    });

    it('ignores the snapshots of another fold version (other code or rules)', async () => {
      const other = newProcess('fold-0:rules-0');
      expect(await other.startFor(customerId, Date.now(), Date.now())).toBeUndefined();
      expect(await newProcess().startFor(customerId, Date.now(), Date.now())).toBeDefined();
    });
  });

  /** A customer with a name, folded as of now by a new process: its snapshot kept and queued for MongoDB. */
  async function foldedByNewProcess() {
    const customerId = uniqueId('asof-named');
    await stores.register(customerId, { name: 'Ada Lovelace' }, '2026-01-01T00:00:00Z');
    const sut = newProcess();
    await handler(sut).execute(new GetAsOfQuery(customerId, new Date(), new Date(), 'auditor'));
    return { customerId, sut };
  }

  it('undoes a write queued before the erasure of its customer', async () => {
    const { customerId, sut } = await foldedByNewProcess();
    await sut.forget(customerId);
    await sut.flush();
    expect(await persistedOf(customerId)).toEqual([]);
    expect(await newProcess().startFor(customerId, Date.now(), Date.now())).toBeUndefined();
  });

  it("does not resume from a snapshot whose last event is not the stream's (another event store), and drops it", async () => {
    // Two customers with streams of the same length; B's snapshot stored under A's id stands for a snapshot of a
    // stream that an event store replaced under MongoDB since.
    const [a, b] = [uniqueId('asof-a'), uniqueId('asof-b')];
    for (const [id, amount] of [
      [a, 10],
      [b, 20],
    ] as const) {
      await stores.register(id, {}, '2026-01-01T00:00:00Z');
      await stores.touch(id, {
        kind: 'purchase',
        orderId: 'o',
        amount,
        occurredAt: '2026-01-02T00:00:00Z',
      });
    }
    const first = newProcess();
    await handler(first).execute(new GetAsOfQuery(b, new Date(), new Date(), 'auditor'));
    await first.flush();
    const collection = stores.mongo.db.collection<{
      _id: string;
      customerId: string;
      tipEventId: string;
    }>(AS_OF_SNAPSHOTS_COLLECTION);
    const [ofB] = await collection.find({ customerId: b }).toArray();
    await collection.insertOne({ ...ofB, _id: ofB._id.replace(b, a), customerId: a });

    const query = new GetAsOfQuery(a, new Date(), new Date(), 'auditor');
    const sut = newProcess();
    const view = await handler(sut).execute(query);
    expect(view.profile).toMatchObject({ spend: { lifetime: 10 } });
    expect(view).toEqual(await cold(query));
    await sut.flush();
    // B's snapshot is gone from A's (deleted, or replaced by A's own at the same revision).
    await until(
      async () => !(await collection.findOne({ customerId: a, tipEventId: ofB.tipEventId })),
    );
  });

  it('keeps in memory only a snapshot that holds a personal value in clear', async () => {
    const { customerId, sut } = await foldedByNewProcess();
    const kept = sut.usable(customerId, Date.now(), Date.now())!;
    // The same fold as an event stored before sealing would leave it: the name in clear.
    const clear = {
      ...kept,
      revision: kept.revision + 1,
      profile: { ...kept.profile, personal: { name: { sealed: 'Ada Lovelace', path: 'name' } } },
    };
    await sut.forget(customerId);
    sut.keep(customerId, clear, { persist: true });
    await sut.flush();
    expect(sut.usable(customerId, Date.now(), Date.now())?.revision).toBe(clear.revision);
    expect(await persistedOf(customerId)).toEqual([]);
  });

  it('answers from the stream when MongoDB fails, and logs the failure once', async () => {
    const logged = new CapturingLogger();
    Logger.overrideLogger(logged);
    const closed = await connectMongo(testServers().mongoUrl, uniqueId('gone').replace(/-/g, '_'));
    const unreachable = new AsOfSnapshotStore(closed.db);
    await closed.close();
    try {
      const customerId = uniqueId('asof-down');
      await stores.register(customerId, {}, '2026-01-01T00:00:00Z');
      const sut = new AsOfSnapshots({ persisted: { store: unreachable, foldVersion } });
      for (let run = 0; run < 3; run += 1) {
        const query = new GetAsOfQuery(customerId, new Date(), new Date(), 'auditor');
        expect(await handler(sut).execute(query)).toEqual(await cold(query));
        await stores.touch(customerId, { kind: 'inquiry', occurredAt: '2026-01-02T00:00:00Z' });
        await sut.flush();
      }
      expect(logged.warnings).toHaveLength(1);
      expect(logged.warnings[0]).toMatch(/as-of snapshot.*failed/);
    } finally {
      Logger.overrideLogger(new ConsoleLogger());
    }
  });
});
