import request from 'supertest';
import type { RunningProjector } from '@apps/projector';
import { uniqueId } from '@app/testing';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { startTestProjector } from './support/test-projector';

const DAY = 86_400_000;

/**
 * A region of its own with touchpoints whose analytics are worked out by hand below, so each report is checked
 * against numbers the test derives from what it sent (the shared event store holds other suites' customers too).
 */
describe('analytics routes', () => {
  let api: TestApi;
  let projector: RunningProjector;
  let lastPosition = 0;
  const region = uniqueId('region');
  const customers = Array.from({ length: 10 }, (_, i) => `${uniqueId('an')}-${i}`);
  const now = Date.now();
  const daysAgo = (days: number, hours = 0) =>
    new Date(now - days * DAY + hours * 3_600_000).toISOString();
  let seq = 0;
  const touchpoint = (
    customerId: string,
    kind: string,
    occurredAt: string,
    fields: Record<string, unknown>,
  ) => ({
    touchpointId: `tp-${(seq += 1)}`,
    source: 'analytics-test',
    customerId,
    kind,
    occurredAt,
    channel: 'store',
    direction: 'inbound',
    region,
    ...fields,
  });

  // Customer i buys i + 1 times, the last purchase i * 20 days ago, each for 100 * (i + 1).
  const purchases = customers.flatMap((customerId, i) =>
    Array.from({ length: i + 1 }, (_, n) =>
      touchpoint(customerId, 'purchase', daysAgo(i * 20 + n * 3 + 1), {
        orderId: `${customerId}-o${n}`,
        amount: 100 * (i + 1),
        channel: n % 2 === 0 ? 'store' : 'web',
      }),
    ),
  );
  const feedback = customers.map((customerId, i) =>
    touchpoint(customerId, 'feedback', daysAgo(1), { score: (i % 5) + 1, channel: 'email' }),
  );
  const [c0, c1, c2, c3, c4] = customers;
  const complaints = [
    touchpoint(c0, 'complaint_opened', daysAgo(10), {
      complaintId: 'k1',
      category: 'delivery',
      channel: 'phone',
    }),
    touchpoint(c0, 'complaint_resolved', daysAgo(10, 10), {
      complaintId: 'k1',
      resolution: 'refunded',
      satisfied: true,
    }),
    touchpoint(c1, 'complaint_opened', daysAgo(9), {
      complaintId: 'k2',
      category: 'delivery',
      channel: 'phone',
    }),
    touchpoint(c1, 'complaint_resolved', daysAgo(9, 30), {
      complaintId: 'k2',
      resolution: 'resent',
      satisfied: false,
    }),
    touchpoint(c2, 'complaint_opened', daysAgo(8), {
      complaintId: 'k3',
      category: 'delivery',
      channel: 'phone',
    }),
    touchpoint(c3, 'complaint_opened', daysAgo(7), {
      complaintId: 'k4',
      category: 'billing',
      channel: 'chat',
    }),
    touchpoint(c3, 'complaint_escalated', daysAgo(7, 2), { complaintId: 'k4', channel: 'chat' }),
    touchpoint(c3, 'complaint_resolved', daysAgo(7, 4), {
      complaintId: 'k4',
      resolution: 'credited',
      channel: 'chat',
    }),
    touchpoint(c4, 'complaint_opened', daysAgo(6), {
      complaintId: 'k5',
      category: 'billing',
      channel: 'chat',
    }),
    touchpoint(c4, 'complaint_resolved', daysAgo(6, 1), {
      complaintId: 'k5',
      resolution: 'explained',
      channel: 'chat',
    }),
    touchpoint(c4, 'complaint_reopened', daysAgo(5), { complaintId: 'k5', channel: 'chat' }),
  ];
  // One Monday in the past, so the three contacts fall in one ISO week.
  const monday = new Date(now - 28 * DAY);
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
  monday.setUTCHours(9, 0, 0, 0);
  const outbound = (customerId: string, department: string, dayOffset: number) =>
    touchpoint(
      customerId,
      'marketing_contact',
      new Date(monday.getTime() + dayOffset * DAY).toISOString(),
      {
        direction: 'outbound',
        channel: 'email',
        department,
      },
    );
  const contacts = [
    outbound(c1, 'sales', 0),
    outbound(c1, 'support', 2),
    outbound(c2, 'sales', 1),
    outbound(c2, 'sales', 3),
  ];
  const all = [...purchases, ...feedback, ...complaints, ...contacts];
  // A customer of another region, with one of everything: no report for `region` may count it.
  const decoy = uniqueId('decoy');
  const elsewhere = `${region}-elsewhere`;
  const decoys = [
    {
      ...touchpoint(decoy, 'purchase', daysAgo(3), { orderId: 'd-o1', amount: 999 }),
      region: elsewhere,
    },
    { ...touchpoint(decoy, 'feedback', daysAgo(2), { score: 5 }), region: elsewhere },
    {
      ...touchpoint(decoy, 'complaint_opened', daysAgo(2), {
        complaintId: 'd1',
        category: 'delivery',
      }),
      region: elsewhere,
    },
  ];

  beforeAll(async () => {
    api = await startTestApi({ CRM_REVIEW_INTERVAL_MINUTES: '0' });
    projector = await startTestProjector(api.database);
    // Profile reports select customers by their registered region; touchpoint reports by the touchpoint's.
    for (const customerId of [...customers, decoy]) {
      await request(api.http)
        .post('/v1/customers')
        .set('Authorization', KEYS.ingest)
        .send({
          customerId,
          region: customerId === decoy ? elsewhere : region,
          occurredAt: daysAgo(400),
        })
        .expect(201);
    }
    const ordered = [...all, ...decoys].sort(
      (a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt),
    );
    const response = await request(api.http)
      .post('/v1/touchpoints/batch')
      .set('Authorization', KEYS.ingest)
      .send({ touchpoints: ordered })
      .expect(200);
    const rejected = (response.body.results as Array<{ status: string; errors?: unknown }>).filter(
      (r) => r.status !== 'created',
    );
    expect(rejected).toEqual([]);
    lastPosition = response.body.position as number;
  });

  afterAll(async () => {
    await projector?.stop();
    await api?.close();
  });

  const get = (path: string, query: Record<string, unknown> = {}, key: string = KEYS.analyst) =>
    request(api.http)
      .get(path)
      .query({ minPosition: lastPosition, ...query })
      .set('Authorization', key);

  it('complaints by category: count, share resolved, hours to resolve, escalations, first-contact resolution', async () => {
    const response = await get('/v1/analytics/complaints', { groupBy: 'category', region }).expect(
      200,
    );
    const byCategory = Object.fromEntries(
      (response.body as Array<{ group: { category: string } }>).map((row) => [
        row.group.category,
        row,
      ]),
    );
    expect(byCategory.delivery).toMatchObject({
      complaints: 3,
      resolved: 2,
      resolvedShare: 0.666667,
      meanHoursToResolve: 20,
      satisfiedShare: 0.5,
      escalationRate: 0,
      firstContactResolution: 0.666667,
    });
    expect(byCategory.billing).toMatchObject({
      complaints: 2,
      resolved: 1,
      resolvedShare: 0.5,
      meanHoursToResolve: 2.5,
      escalationRate: 0.5,
      firstContactResolution: 0,
    });
  });

  it('interactions by channel and direction count touchpoints and distinct customers', async () => {
    const response = await get('/v1/analytics/interactions', {
      groupBy: 'channel,direction',
      region,
    }).expect(200);
    const expected = new Map<string, { touchpoints: number; customers: Set<string> }>();
    for (const t of all) {
      const key = `${String(t.channel)}/${String(t.direction)}`;
      const entry = expected.get(key) ?? { touchpoints: 0, customers: new Set<string>() };
      entry.touchpoints += 1;
      entry.customers.add(t.customerId);
      expected.set(key, entry);
    }
    const actual = (
      response.body as Array<{
        group: Record<string, string>;
        touchpoints: number;
        customers: number;
      }>
    ).map((row) => [`${row.group.channel}/${row.group.direction}`, row.touchpoints, row.customers]);
    expect(actual.sort()).toEqual(
      [...expected].map(([key, e]) => [key, e.touchpoints, e.customers.size]).sort(),
    );
  });

  it('contact pressure finds the customer reached by two departments in one week', async () => {
    const response = await get('/v1/analytics/contact-pressure', { region }).expect(200);
    expect(response.body).toEqual([
      expect.objectContaining({
        customers: 1,
        sample: [{ customerId: c1, departments: ['sales', 'support'] }],
      }),
    ]);
  });

  it('satisfaction names the top and bottom fifth of customers by score', async () => {
    const response = await get('/v1/analytics/satisfaction', { region }).expect(200);
    const scores = customers.map((id, i) => ({ id, score: (i % 5) + 1 }));
    const ranked = [...scores].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    expect(response.body.rated).toBe(10);
    expect(response.body.top.sample.map((s: { customerId: string }) => s.customerId)).toEqual(
      ranked.slice(0, 2).map((s) => s.id),
    );
    expect(response.body.bottom.meanScore).toBe(1);
    expect(response.body.top.meanScore).toBe(5);
  });

  it('RFM puts every paying customer in one segment and one grid cell', async () => {
    const response = await get('/v1/analytics/rfm', { region }).expect(200);
    expect(response.body.boundaries.customers).toBe(10);
    const segments = Object.values(response.body.segments as Record<string, { customers: number }>);
    expect(segments.reduce((n, s) => n + s.customers, 0)).toBe(10);
    const cells = Object.values(
      response.body.grid as Record<string, Record<string, number>>,
    ).flatMap(Object.values);
    expect(cells.reduce((n, c) => n + c, 0)).toBe(10);
    // A profile's scores rank it in the whole population (other suites' customers too), so compare two of ours: the
    // one who bought ten times for 1 000 each scores no lower on frequency and value than the one who bought once for
    // 100, and no higher on recency (its last purchase is 181 days old against 1).
    const [most, least] = await Promise.all(
      [customers[9], customers[0]].map(
        async (id) => (await get(`/v1/profiles/${id}`).expect(200)).body.rfm,
      ),
    );
    for (const score of [most, least]) {
      expect(score).toMatchObject({
        cell: expect.stringMatching(/^[1-5]{3}$/),
        segment: expect.any(String),
      });
    }
    expect(most.frequency).toBeGreaterThanOrEqual(least.frequency);
    expect(most.monetary).toBeGreaterThanOrEqual(least.monetary);
    expect(most.recency).toBeLessThanOrEqual(least.recency);
  });

  it.each(['value-matrix', 'key-accounts'])(
    '%s shares out the window value of the region among its segments',
    async (route) => {
      const response = await get(`/v1/analytics/${route}`, { region }).expect(200);
      const spend = purchases.reduce(
        (sum, p) => sum + (p as unknown as { amount: number }).amount,
        0,
      );
      expect(response.body.customers).toBe(10);
      expect(response.body.value).toBeCloseTo(spend, 6);
      const segments = response.body.segments as Array<{ customers: number; valueShare: number }>;
      expect(segments.reduce((n, s) => n + s.customers, 0)).toBe(10);
      expect(segments.reduce((n, s) => n + s.valueShare, 0)).toBeCloseTo(1, 4);
    },
  );

  it('refuses bad parameters, naming each', async () => {
    const response = await get('/v1/analytics/migration', {
      dimension: 'colour',
      from: 'yesterday',
      to: '2026-01-01',
    }).expect(400);
    const fields = (response.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['dimension', 'from']);
    await get('/v1/analytics/complaints', { groupBy: 'category,shoe' }).expect(400);
    await get('/v1/analytics/lifecycle', { surprise: 1 }).expect(400);
    await get('/v1/profiles', { limit: 0 }).expect(400);
    await get('/v1/profiles', { cursor: '!!' }).expect(400);
    await get('/v1/profiles/bad%20id').expect(400);
  });

  it('analytics are for analysts, auditors and admins only', async () => {
    await get('/v1/analytics/rfm', {}, KEYS.ingest).expect(403);
    await request(api.http).get('/v1/analytics/rfm').expect(401);
    await get('/v1/analytics/rfm', { region }, KEYS.auditor).expect(200);
    await get('/v1/analytics/rfm', { region }, KEYS.admin).expect(200);
  });
});
