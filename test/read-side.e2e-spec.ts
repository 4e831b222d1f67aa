import { createHash } from 'node:crypto';
import { BSON } from 'mongodb';
import request from 'supertest';
import type { RunningProjector } from '@apps/projector';
import {
  COMPLAINTS_COLLECTION,
  INTERACTIONS_COLLECTION,
  PROFILES_COLLECTION,
  TRANSITIONS_COLLECTION,
  waitForPosition,
} from '@app/read-models';
import { uniqueId } from '@app/testing';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { startTestProjector } from './support/test-projector';
import { type ReferenceCustomer, referenceStage, referenceTier } from './support/reference-rules';

const DAY = 86_400_000;

/** The pairs of moments the matrices are checked between. */
const PERIODS: Array<[string, string]> = [
  ['2024-06-15T00:00:00Z', '2026-03-01T00:00:00Z'],
  ['2023-09-01T00:00:00Z', '2025-02-10T00:00:00Z'],
  ['2025-05-05T00:00:00Z', '2026-10-31T00:00:00Z'],
];
const at = (iso: string) => Date.parse(iso);

/** A small seeded generator, so a failure can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Customer extends ReferenceCustomer {
  id: string;
}

/**
 * Customers over three years of business time: some never buy, some buy steadily, some stop for months, a few
 * spend enough for gold or platinum and then fall away, so every rule gets its turn.
 */
function population(seed: number, size: number): Customer[] {
  const random = mulberry32(seed);
  const start = at('2023-07-01T00:00:00Z');
  const end = at('2026-10-01T00:00:00Z');
  return Array.from({ length: size }, (_, index) => {
    const registeredAt = start + Math.floor(random() * 200 * DAY);
    const profile = index % 8;
    const purchases: Array<[number, number]> = [];
    if (profile !== 0) {
      let t = registeredAt + Math.floor(random() * 60 * DAY) + 1000;
      const gap = [0, 20, 45, 120, 30, 200, 15, 60][profile] * DAY;
      const big = profile === 4 || profile === 6 ? 4000 : 600;
      const stopAt = profile === 6 ? start + 500 * DAY : end;
      while (t < Math.min(end, stopAt)) {
        purchases.push([t, Math.round((50 + random() * big) * 100) / 100]);
        t += Math.floor(gap * (0.3 + random() * 1.4)) + 1000;
      }
    }
    return { id: uniqueId('mig'), registeredAt, purchases };
  });
}

describe('read side end to end: reviews and migration matrices through HTTP only', () => {
  let api: TestApi;
  let projector: RunningProjector;
  const region = uniqueId('region');
  const customers = population(20261126, 48);
  const reviews = [
    '2024-01-01T00:00:00Z',
    '2024-07-01T00:00:00Z',
    '2025-01-01T00:00:00Z',
    '2025-07-01T00:00:00Z',
    '2026-01-01T00:00:00Z',
    '2026-07-01T00:00:00Z',
    '2026-11-01T00:00:00Z',
  ];
  let lastPosition = 0;

  beforeAll(async () => {
    api = await startTestApi({ CRM_REVIEW_INTERVAL_MINUTES: '0' });
    projector = await startTestProjector(api.database);
    for (const customer of customers) {
      const response = await request(api.http)
        .post('/v1/customers')
        .set('Authorization', KEYS.ingest)
        .send({
          customerId: customer.id,
          name: 'Ada Lovelace',
          email: `${customer.id}@example.com`,
          region,
          occurredAt: new Date(customer.registeredAt).toISOString(),
        })
        .expect(201);
      lastPosition = Math.max(lastPosition, response.body.position as number);
    }
    // Business time moves forward: purchases up to each review date, then the review for that date.
    let from = 0;
    for (const asOf of reviews) {
      const until = at(asOf);
      const due = customers
        .flatMap((c) => c.purchases.map(([t, amount], n) => ({ c, t, amount, n })))
        .filter(({ t }) => t > from && t <= until)
        .sort((a, b) => a.t - b.t);
      for (let i = 0; i < due.length; i += 200) {
        const touchpoints = due.slice(i, i + 200).map(({ c, t, amount, n }) => ({
          touchpointId: `${c.id}-p${n}`,
          source: 'shop-till',
          customerId: c.id,
          kind: 'purchase',
          occurredAt: new Date(t).toISOString(),
          channel: n % 3 === 0 ? 'web' : 'store',
          direction: 'inbound',
          orderId: `${c.id}-o${n}`,
          amount,
        }));
        const response = await request(api.http)
          .post('/v1/touchpoints/batch')
          .set('Authorization', KEYS.ingest)
          .send({ touchpoints })
          .expect(200);
        const statuses = (response.body.results as Array<{ status: string }>).map((r) => r.status);
        expect(statuses.every((status) => status === 'created')).toBe(true);
        lastPosition = Math.max(lastPosition, response.body.position as number);
      }
      const review = await request(api.http)
        .post('/v1/admin/reviews')
        .set('Authorization', KEYS.admin)
        .send({ asOf })
        .expect(200);
      expect(review.body.failed).toEqual([]);
      if (review.body.position !== null)
        lastPosition = Math.max(lastPosition, review.body.position as number);
      from = until;
    }
  });

  afterAll(async () => {
    await projector?.stop();
    await api?.close();
  });

  function expectedMatrix(
    level: (c: Customer, t: number) => string,
    fromIso: string,
    toIso: string,
  ) {
    const matrix: Record<string, Record<string, number>> = {};
    for (const customer of customers) {
      const a = level(customer, at(fromIso));
      const b = level(customer, at(toIso));
      if (a === 'none' && b === 'none') continue;
      matrix[a] ??= {};
      matrix[a][b] = (matrix[a][b] ?? 0) + 1;
    }
    return matrix;
  }

  /** The API's matrix without its zero cells, to compare with the reference. */
  function nonZero(matrix: Record<string, Record<string, number>>) {
    const cells: Record<string, Record<string, number>> = {};
    for (const [a, row] of Object.entries(matrix)) {
      for (const [b, count] of Object.entries(row)) {
        if (count === 0) continue;
        cells[a] ??= {};
        cells[a][b] = count;
      }
    }
    return cells;
  }

  async function migration(dimension: string, fromIso: string, toIso: string) {
    const response = await request(api.http)
      .get('/v1/analytics/migration')
      .query({ dimension, from: fromIso, to: toIso, region, minPosition: lastPosition })
      .set('Authorization', KEYS.analyst)
      .expect(200);
    return response.body as {
      levels: string[];
      matrix: Record<string, Record<string, number>>;
      totals: { customers: number; from: Record<string, number>; to: Record<string, number> };
    };
  }

  it.each([
    ['2024-06-15T00:00:00Z', '2026-03-01T00:00:00Z'],
    ['2023-09-01T00:00:00Z', '2025-02-10T00:00:00Z'],
    ['2025-05-05T00:00:00Z', '2026-10-31T00:00:00Z'],
  ])(
    'the tier migration matrix from %s to %s matches the rules computed independently',
    async (a, b) => {
      const body = await migration('tier', a, b);
      expect(body.levels).toEqual(['basic', 'silver', 'gold', 'platinum', 'none']);
      expect(nonZero(body.matrix)).toEqual(expectedMatrix(referenceTier, a, b));
    },
  );

  it.each([
    ['2024-06-15T00:00:00Z', '2026-03-01T00:00:00Z'],
    ['2023-09-01T00:00:00Z', '2025-02-10T00:00:00Z'],
    ['2025-05-05T00:00:00Z', '2026-10-31T00:00:00Z'],
  ])(
    'the stage migration matrix from %s to %s matches the rules computed independently',
    async (a, b) => {
      const body = await migration('stage', a, b);
      expect(body.levels).toEqual(['prospect', 'new', 'active', 'at_risk', 'churned', 'none']);
      expect(nonZero(body.matrix)).toEqual(expectedMatrix(referenceStage, a, b));
      const population = customers.filter(
        (c) => c.registeredAt <= at(a) || c.registeredAt <= at(b),
      ).length;
      expect(body.totals.customers).toBe(population);
    },
  );

  it('the moments compared cover every tier and stage (the scenario is not trivially passing)', () => {
    const moments = [...new Set(PERIODS.flat())];
    const tiers = new Set(customers.flatMap((c) => moments.map((m) => referenceTier(c, at(m)))));
    const stages = new Set(customers.flatMap((c) => moments.map((m) => referenceStage(c, at(m)))));
    expect([...tiers].sort()).toEqual(['basic', 'gold', 'none', 'platinum', 'silver']);
    expect([...stages].sort()).toEqual(['active', 'at_risk', 'churned', 'new', 'none', 'prospect']);
  });

  it('a review for the same moment again appends nothing', async () => {
    const response = await request(api.http)
      .post('/v1/admin/reviews')
      .set('Authorization', KEYS.admin)
      .send({ asOf: reviews.at(-1) })
      .expect(200);
    expect(response.body.transitions).toBe(0);
  });

  it('a review needs an admin key and a real moment not in the future', async () => {
    const post = (key: string, body: unknown) =>
      request(api.http)
        .post('/v1/admin/reviews')
        .set('Authorization', key)
        .send(body as object);
    await post(KEYS.analyst, { asOf: reviews[0] }).expect(403);
    const future = new Date(Date.now() + 3 * DAY).toISOString();
    for (const asOf of ['2026-02-30T00:00:00Z', 'tomorrow', future]) {
      const response = await post(KEYS.admin, { asOf }).expect(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ field: 'asOf' })]);
    }
    await post(KEYS.admin, { asOf: reviews[0], extra: 1 }).expect(400);
  });

  it('the lifecycle report counts the stages held at a moment', async () => {
    const moment = '2026-03-01T00:00:00Z';
    const response = await request(api.http)
      .get('/v1/analytics/lifecycle')
      .query({ at: moment, region, minPosition: lastPosition })
      .set('Authorization', KEYS.analyst)
      .expect(200);
    const expected: Record<string, number> = {
      prospect: 0,
      new: 0,
      active: 0,
      at_risk: 0,
      churned: 0,
    };
    for (const customer of customers) {
      const stage = referenceStage(customer, at(moment));
      if (stage !== 'none') expected[stage] += 1;
    }
    expect(response.body.distribution).toEqual(expected);
  });

  it('profiles show tier and stage, masked personal data for analysts and full for auditors', async () => {
    const buyer = customers.find((c) => c.purchases.length > 3)!;
    const analyst = await request(api.http)
      .get(`/v1/profiles/${buyer.id}`)
      .query({ minPosition: lastPosition })
      .set('Authorization', KEYS.analyst)
      .expect(200);
    expect(analyst.body).toMatchObject({
      customerId: buyer.id,
      name: 'A*** L***',
      email: `${buyer.id[0]}***@example.com`,
      personalData: 'masked',
      region,
      orders: buyer.purchases.length,
    });
    const now = Date.now();
    expect(analyst.body.tier.level).toBe(referenceTier(buyer, now));
    expect(analyst.body.lifecycle.stage).toBe(referenceStage(buyer, now));
    const lifetime = buyer.purchases.reduce((sum, [, amount]) => sum + amount, 0);
    expect(analyst.body.spend.lifetime).toBeCloseTo(lifetime, 6);
    const auditor = await request(api.http)
      .get(`/v1/profiles/${buyer.id}`)
      .set('Authorization', KEYS.auditor)
      .expect(200);
    expect(auditor.body).toMatchObject({
      name: 'Ada Lovelace',
      email: `${buyer.id}@example.com`,
      personalData: 'full',
    });
    await request(api.http)
      .get(`/v1/profiles/${buyer.id}`)
      .set('Authorization', KEYS.ingest)
      .expect(403);
  });

  it('lists profiles by stage and region in pages', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const response = await request(api.http)
        .get('/v1/profiles')
        .query({ region, limit: 7, ...(cursor ? { cursor } : {}) })
        .set('Authorization', KEYS.analyst)
        .expect(200);
      seen.push(...(response.body.items as Array<{ customerId: string }>).map((p) => p.customerId));
      cursor = response.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(customers.map((c) => c.id).sort());
  });

  it('a rebuild from position zero gives exactly the same read models (content hash)', async () => {
    const rebuilt = await startTestProjector(`${api.database}_rebuild`);
    try {
      const db = api.mongo.client.db(`${api.database}_rebuild`);
      const names = ['profiles', 'transitions', 'interactions'];
      expect(await waitForPosition(db, names, BigInt(lastPosition), 60_000)).toBe(true);
      expect(await waitForPosition(api.mongo.db, names, BigInt(lastPosition), 60_000)).toBe(true);
      const ids = customers.map((c) => c.id);
      const hash = async (database: typeof db) => {
        const digest = createHash('sha256');
        for (const name of [
          PROFILES_COLLECTION,
          TRANSITIONS_COLLECTION,
          INTERACTIONS_COLLECTION,
          COMPLAINTS_COLLECTION,
        ]) {
          const filter =
            name === PROFILES_COLLECTION ? { _id: { $in: ids } } : { customerId: { $in: ids } };
          const docs = await database
            .collection(name)
            .find(filter as never)
            .sort({ _id: 1 })
            .toArray();
          digest.update(`${name}:${docs.length}:`);
          for (const doc of docs) digest.update(BSON.serialize(doc));
        }
        return digest.digest('hex');
      };
      const live = await hash(api.mongo.db);
      expect(await hash(db)).toBe(live);
      expect(
        await api.mongo.db
          .collection(TRANSITIONS_COLLECTION)
          .countDocuments({ customerId: { $in: ids } }),
      ).toBeGreaterThan(100);
      await db.dropDatabase();
    } finally {
      await rebuilt.stop();
    }
  });
});
