import { type Db, MongoClient } from 'mongodb';
import { uniqueId } from '@app/testing';
import {
  COMPLAINTS_COLLECTION,
  customerProjections,
  INTERACTIONS_COLLECTION,
  migrationMatrix,
  rfmReport,
  OPEN_END,
  type ProfileDocument,
  PROFILES_COLLECTION,
  type Projection,
  type ProjectedEvent,
  TIMELINES_COLLECTION,
  TRANSITIONS_COLLECTION,
} from '@app/read-models';
import type { TouchpointBase } from '@app/domain';
import { EventLog } from './projected-events';

const RULES = {
  tiers: { windowDays: 365, levels: [{ name: 'basic' }, { name: 'silver' }, { name: 'gold' }] },
  lifecycle: { newForDays: 30, atRiskAfterDays: 90, churnedAfterDays: 180 },
};

function base(customerId: string, touchpointId: string, occurredAt: string): TouchpointBase {
  return {
    customerId,
    touchpointId,
    source: 'till',
    occurredAt,
    channel: 'store',
    direction: 'inbound',
    region: 'north',
  };
}

/** A small history: a registered customer who buys, complains, is upgraded, then goes quiet and is erased. */
function history(log: EventLog, customerId: string): void {
  log.append(customerId, {
    type: 'CustomerRegistered',
    data: {
      customerId,
      origin: 'registration',
      registeredAt: '2025-01-01T00:00:00Z',
      name: 'enc:v1:AAAA',
      region: 'north',
    },
  });
  log.append(
    customerId,
    {
      type: 'PurchaseRecorded',
      data: {
        ...base(customerId, 't1', '2025-02-01T10:00:00Z'),
        orderId: 'o1',
        amount: 600,
        currency: 'EUR',
        margin: 100,
      },
    },
    {
      type: 'TierChanged',
      data: {
        customerId,
        from: null,
        to: 'basic',
        reason: 'first_purchase',
        qualifyingAmount: 600,
        ruleVersion: 'r1',
        effectiveAt: '2025-02-01T10:00:00Z',
      },
    },
    {
      type: 'LifecycleStageChanged',
      data: {
        customerId,
        from: 'prospect',
        to: 'new',
        reason: 'first_purchase',
        effectiveAt: '2025-02-01T10:00:00Z',
      },
    },
  );
  log.append(
    customerId,
    {
      type: 'PurchaseRecorded',
      data: {
        ...base(customerId, 't2', '2025-02-20T10:00:00Z'),
        orderId: 'o2',
        amount: 500,
        currency: 'EUR',
      },
    },
    {
      type: 'TierChanged',
      data: {
        customerId,
        from: 'basic',
        to: 'silver',
        reason: 'upgrade',
        qualifyingAmount: 1100,
        ruleVersion: 'r1',
        effectiveAt: '2025-02-20T10:00:00Z',
      },
    },
  );
  log.append(
    customerId,
    {
      type: 'RefundRecorded',
      data: {
        ...base(customerId, 't3', '2025-02-21T10:00:00Z'),
        orderId: 'o2',
        amount: 100,
        currency: 'EUR',
      },
    },
    {
      type: 'ComplaintOpened',
      data: {
        ...base(customerId, 't4', '2025-02-22T10:00:00Z'),
        complaintId: 'k1',
        category: 'delivery',
        severity: 'high',
        channel: 'phone',
        agentId: 'a7',
      },
    },
    {
      type: 'ComplaintResolved',
      data: {
        ...base(customerId, 't5', '2025-02-23T16:00:00Z'),
        complaintId: 'k1',
        resolution: 'enc:v1:BBBB',
        satisfied: true,
      },
    },
    {
      type: 'FeedbackGiven',
      data: { ...base(customerId, 't6', '2025-02-24T10:00:00Z'), score: 4, nps: 9 },
    },
    {
      type: 'LifecycleStageChanged',
      data: {
        customerId,
        from: 'new',
        to: 'active',
        reason: 'settled',
        effectiveAt: '2025-03-03T10:00:00Z',
      },
    },
  );
}

describe('read models', () => {
  let client: MongoClient;
  let db: Db;
  let projections: Projection[];

  beforeAll(async () => {
    client = await new MongoClient(process.env.MONGODB_URL!).connect();
  });
  beforeEach(async () => {
    db = client.db(uniqueId('rm').replace(/-/g, '_'));
    projections = customerProjections(RULES);
    for (const projection of projections) await projection.setup(db);
  });
  afterEach(async () => {
    await db.dropDatabase();
  });
  afterAll(async () => {
    await client.close();
  });

  async function project(
    events: readonly ProjectedEvent[],
    batchSize = events.length,
  ): Promise<void> {
    for (let i = 0; i < events.length; i += batchSize) {
      for (const projection of projections)
        await projection.apply(db, events.slice(i, i + batchSize));
    }
  }

  async function contents(): Promise<Record<string, unknown[]>> {
    const names = [
      PROFILES_COLLECTION,
      TRANSITIONS_COLLECTION,
      TIMELINES_COLLECTION,
      INTERACTIONS_COLLECTION,
      COMPLAINTS_COLLECTION,
    ];
    const entries = await Promise.all(
      names.map(
        async (name) =>
          [name, await db.collection(name).find().sort({ _id: 1 }).toArray()] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  it('builds the 360° profile from the history, keeping personal values sealed', async () => {
    const log = new EventLog();
    history(log, 'c1');
    await project(log.events);
    const profile = (await db
      .collection<ProfileDocument>(PROFILES_COLLECTION)
      .findOne({ _id: 'c1' }))!;
    expect(profile.personal).toEqual({ name: { sealed: 'enc:v1:AAAA', path: 'name' } });
    expect(profile.region).toBe('north');
    expect(profile.spend).toEqual({
      lifetime: 1000,
      refunded: 100,
      margin: 100,
      purchases: 2,
      refunds: 1,
      averageOrderValue: 550,
    });
    expect(profile.counts.touchpoints).toBe(6);
    expect(profile.counts.byChannel).toEqual({ store: 5, phone: 1 });
    expect(profile.counts.byKind).toMatchObject({
      purchase: 2,
      refund: 1,
      complaint_opened: 1,
      feedback: 1,
    });
    expect(profile.complaints).toEqual({
      opened: 1,
      resolved: 1,
      escalated: 0,
      reopened: 0,
      open: [],
    });
    expect(profile.satisfaction).toMatchObject({ meanScore: 4, meanNps: 9 });
    expect(profile.lifecycle).toMatchObject({
      level: 'active',
      since: new Date('2025-03-03T10:00:00Z'),
    });
    expect(profile.tier).toMatchObject({
      level: 'silver',
      since: new Date('2025-02-20T10:00:00Z'),
      qualifyingAmount: 1100,
    });
    expect(profile.lastPurchase).toMatchObject({ orderId: 'o2', amount: 500 });
    expect(profile.spendByDay.map((d) => d.amount)).toEqual([600, 500, -100]);
    // at_risk falls due 90 days after the last purchase: the review index points there, not later.
    expect(profile.nextReviewAt).toEqual(new Date('2025-05-21T10:00:00Z'));
    expect(profile.position).toBe(Number(log.events.at(-1)!.position.commit));
  });

  it('keeps one interval per level, and erasure closes every dimension', async () => {
    const log = new EventLog();
    history(log, 'c1');
    log.append('c1', {
      type: 'CustomerErased',
      data: { customerId: 'c1', erasedAt: '2025-06-01T00:00:00Z' },
    });
    await project(log.events);
    const intervals = await db
      .collection(TRANSITIONS_COLLECTION)
      .find({}, { projection: { _id: 0, dimension: 1, level: 1, from: 1, to: 1 } })
      .sort({ dimension: 1, from: 1 })
      .toArray();
    const d = (iso: string) => new Date(iso);
    expect(intervals).toEqual([
      {
        dimension: 'stage',
        level: 'prospect',
        from: d('2025-01-01T00:00:00Z'),
        to: d('2025-02-01T10:00:00Z'),
      },
      {
        dimension: 'stage',
        level: 'new',
        from: d('2025-02-01T10:00:00Z'),
        to: d('2025-03-03T10:00:00Z'),
      },
      {
        dimension: 'stage',
        level: 'active',
        from: d('2025-03-03T10:00:00Z'),
        to: d('2025-06-01T00:00:00Z'),
      },
      {
        dimension: 'tier',
        level: 'basic',
        from: d('2025-02-01T10:00:00Z'),
        to: d('2025-02-20T10:00:00Z'),
      },
      {
        dimension: 'tier',
        level: 'silver',
        from: d('2025-02-20T10:00:00Z'),
        to: d('2025-06-01T00:00:00Z'),
      },
    ]);
    const profile = await db
      .collection<ProfileDocument>(PROFILES_COLLECTION)
      .findOne({ _id: 'c1' });
    expect(profile).toMatchObject({ status: 'erased', personal: {}, tier: null, lifecycle: null });
  });

  it('counts migrations between two moments with a none row and column', async () => {
    const log = new EventLog();
    history(log, 'c1');
    history(log, 'c2');
    log.append('c3', {
      type: 'CustomerRegistered',
      data: { customerId: 'c3', origin: 'registration', registeredAt: '2025-04-01T00:00:00Z' },
    });
    await project(log.events);
    const result = await migrationMatrix(db, {
      dimension: 'stage',
      from: new Date('2025-01-15T00:00:00Z'),
      to: new Date('2025-04-15T00:00:00Z'),
      levels: ['prospect', 'new', 'active', 'at_risk', 'churned'],
    });
    expect(result.matrix.prospect.active).toBe(2);
    expect(result.matrix.none.prospect).toBe(1);
    expect(result.totals).toMatchObject({
      customers: 3,
      from: { prospect: 2, none: 1 },
      to: { active: 2, prospect: 1 },
    });
    const tiers = await migrationMatrix(db, {
      dimension: 'tier',
      from: new Date('2025-02-10T00:00:00Z'),
      to: new Date('2025-03-10T00:00:00Z'),
      levels: ['basic', 'silver', 'gold'],
    });
    expect(tiers.matrix.basic.silver).toBe(2);
    expect(tiers.matrix.none).toEqual({ basic: 0, silver: 0, gold: 0, none: 0 });
  });

  it('reads and extends timeline buckets stored by earlier versions (an object of customers) like packed ones', async () => {
    const log = new EventLog();
    history(log, 'c1');
    history(log, 'c2');
    const events = log.events;
    const half = Math.floor(events.length / 2);
    const query = {
      dimension: 'stage' as const,
      from: new Date('2025-01-15T00:00:00Z'),
      to: new Date('2025-12-15T00:00:00Z'),
      levels: ['prospect', 'new', 'active', 'at_risk', 'churned'],
    };
    await project(events);
    const packed = await migrationMatrix(db, query);
    const packedDocs = await db.collection(TIMELINES_COLLECTION).find().sort({ _id: 1 }).toArray();

    // The same first half, then every bucket rewritten in an older form, then the second half on top of it.
    for (const older of ['entries as arrays', 'entries as JSON text'] as const) {
      await db.dropDatabase();
      for (const projection of projections) await projection.setup(db);
      await project(events.slice(0, half));
      const buckets = db.collection<{ _id: string; customers: unknown }>(TIMELINES_COLLECTION);
      for (const bucket of await buckets.find().toArray()) {
        expect(typeof bucket.customers).toBe('string');
        const customers = JSON.parse(bucket.customers as string) as Record<
          string,
          { r?: string | null; t: unknown }
        >;
        for (const timeline of Object.values(customers)) {
          if (older === 'entries as JSON text') timeline.t = JSON.stringify(timeline.t);
        }
        await buckets.replaceOne({ _id: bucket._id }, { ...bucket, customers });
      }
      expect((await migrationMatrix(db, query)).totals.customers).toBeGreaterThan(0);
      await project(events.slice(half));
      expect(await migrationMatrix(db, query)).toEqual(packed);
      // Every bucket the second half touched is packed again, with the same contents as an all-packed run.
      const after = await db.collection(TIMELINES_COLLECTION).find().sort({ _id: 1 }).toArray();
      const repacked = after.filter((doc) => typeof doc.customers === 'string');
      expect(repacked.length).toBeGreaterThan(0);
      for (const doc of repacked) expect(doc).toEqual(packedDocs.find((p) => p._id === doc._id));
    }
  });

  it('records interactions and complaints with their resolution time', async () => {
    const log = new EventLog();
    history(log, 'c1');
    await project(log.events);
    expect(await db.collection(INTERACTIONS_COLLECTION).countDocuments()).toBe(6);
    const complaint = await db.collection(COMPLAINTS_COLLECTION).findOne({ _id: 'c1|k1' as never });
    expect(complaint).toMatchObject({
      category: 'delivery',
      status: 'resolved',
      hoursToResolve: 30,
      satisfied: true,
      agentId: 'a7',
      channel: 'phone',
    });
  });

  it('applying a batch twice changes nothing', async () => {
    const log = new EventLog();
    history(log, 'c1');
    history(log, 'c2');
    log.append('c1', {
      type: 'CustomerErased',
      data: { customerId: 'c1', erasedAt: '2025-06-01T00:00:00Z' },
    });
    await project(log.events);
    const once = await contents();
    await project(log.events);
    await project(log.events.slice(3, 9));
    expect(await contents()).toEqual(once);
  });

  it('gives the same documents whatever the batch boundaries', async () => {
    const log = new EventLog();
    history(log, 'c1');
    history(log, 'c2');
    await project(log.events);
    const whole = await contents();
    await db.dropDatabase();
    for (const projection of projections) await projection.setup(db);
    await project(log.events, 1);
    expect(await contents()).toEqual(whole);
    await db.dropDatabase();
    for (const projection of projections) await projection.setup(db);
    await project(log.events, 4);
    expect(await contents()).toEqual(whole);
  });

  it('open intervals end at the latest date a BSON date holds', () => {
    expect(OPEN_END.toISOString()).toBe('+275760-09-13T00:00:00.000Z');
  });
});

describe('segment reports over profiles', () => {
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    client = await new MongoClient(process.env.MONGODB_URL!).connect();
    db = client.db(uniqueId('rm').replace(/-/g, '_'));
    const log = new EventLog();
    history(log, 'c1');
    history(log, 'c2');
    for (const projection of customerProjections(RULES)) {
      await projection.setup(db);
      await projection.apply(db, log.events);
    }
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('finds the paying customers of a region for RFM', async () => {
    const report = await rfmReport(db, new Date('2025-03-01T00:00:00Z'), 365, 'north');
    expect(report.boundaries.customers).toBe(2);
    expect(Object.values(report.segments).reduce((n, s) => n + s.customers, 0)).toBe(2);
    expect(
      (await rfmReport(db, new Date('2025-03-01T00:00:00Z'), 365, 'south')).boundaries.customers,
    ).toBe(0);
  });
});
