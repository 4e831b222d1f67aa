import request from 'supertest';
import type { RunningProjector } from '@apps/projector';
import { uniqueId } from '@app/testing';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { startTestProjector } from './support/test-projector';

const DAY = 86_400_000;

/**
 * A region of its own: four customers who became silver members 10 days ago, two basic members, one prospect who
 * never bought. The cells of the tier migration from 30 days ago to now are known, and so is who is in each.
 */
describe('GET /v1/analytics/migration/customers', () => {
  let api: TestApi;
  let projector: RunningProjector;
  let lastPosition = 0;
  const region = uniqueId('region');
  const now = Date.now();
  const daysAgo = (days: number) => new Date(now - days * DAY).toISOString();
  const silver = Array.from({ length: 4 }, (_, i) => `${uniqueId('mig')}-s${i}`);
  const basic = Array.from({ length: 2 }, (_, i) => `${uniqueId('mig')}-b${i}`);
  const prospect = uniqueId('mig-p');
  const nameOf = (customerId: string) => `Ana ${customerId.slice(-2)} Lopez`;
  const window = { dimension: 'tier', from: daysAgo(30), to: daysAgo(0), region };

  beforeAll(async () => {
    api = await startTestApi();
    projector = await startTestProjector(api.database);
    for (const customerId of [...silver, ...basic, prospect]) {
      await request(api.http)
        .post('/v1/customers')
        .set('Authorization', KEYS.ingest)
        .send({
          customerId,
          name: nameOf(customerId),
          email: `${customerId}@example.com`,
          region,
          occurredAt: daysAgo(60),
        })
        .expect(201);
    }
    const touchpoints = [...silver, ...basic].map((customerId, i) => ({
      touchpointId: `mig-${i}`,
      source: 'migration-customers-test',
      customerId,
      kind: 'purchase',
      occurredAt: daysAgo(10),
      channel: 'web',
      direction: 'inbound',
      orderId: `${customerId}-o1`,
      amount: silver.includes(customerId) ? 1500 : 50,
    }));
    const response = await request(api.http)
      .post('/v1/touchpoints/batch')
      .set('Authorization', KEYS.ingest)
      .send({ touchpoints })
      .expect(200);
    lastPosition = response.body.position as number;
  });

  afterAll(async () => {
    await projector?.stop();
    await api?.close();
  });

  const get = (path: string, query: Record<string, unknown>, key: string = KEYS.analyst) =>
    request(api.http)
      .get(path)
      .set('Authorization', key)
      .query({ minPosition: lastPosition, ...query });

  it("lists exactly the customers of a cell, as many as the matrix's count for it", async () => {
    const matrix = await get('/v1/analytics/migration', window).expect(200);
    const cell = await get('/v1/analytics/migration/customers', {
      ...window,
      fromLevel: 'none',
      toLevel: 'silver',
    }).expect(200);
    expect(cell.body.total).toBe(matrix.body.matrix.none.silver);
    expect(cell.body.items.map((item: { customerId: string }) => item.customerId)).toEqual(
      [...silver].sort(),
    );
    expect(cell.body.nextCursor).toBeNull();
    const basicCell = await get('/v1/analytics/migration/customers', {
      ...window,
      fromLevel: 'none',
      toLevel: 'basic',
    }).expect(200);
    expect(basicCell.body.items.map((item: { customerId: string }) => item.customerId)).toEqual(
      [...basic].sort(),
    );
  });

  it('pages through a cell in customer-id order with the cursor, each customer once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const response = await get('/v1/analytics/migration/customers', {
        ...window,
        fromLevel: 'none',
        toLevel: 'silver',
        limit: 3,
        ...(cursor === undefined ? {} : { cursor }),
      }).expect(200);
      seen.push(...response.body.items.map((item: { customerId: string }) => item.customerId));
      cursor = response.body.nextCursor ?? undefined;
      if (cursor === undefined) break;
    }
    expect(seen).toEqual([...silver].sort());
  });

  it('masks personal data for analysts and shows it in full to auditors', async () => {
    const query = { ...window, fromLevel: 'none', toLevel: 'silver' };
    const analyst = await get('/v1/analytics/migration/customers', query).expect(200);
    const first = [...silver].sort()[0];
    expect(analyst.body.items[0]).toMatchObject({
      customerId: first,
      personalData: 'masked',
      name: `A*** ${first.slice(-2)[0]}*** L***`,
      email: `${first[0]}***@example.com`,
    });
    const auditor = await get('/v1/analytics/migration/customers', query, KEYS.auditor).expect(200);
    expect(auditor.body.items[0]).toMatchObject({
      customerId: first,
      personalData: 'full',
      name: nameOf(first),
      email: `${first}@example.com`,
    });
  });

  it('an empty cell and the none-to-none cell list nobody', async () => {
    for (const [fromLevel, toLevel] of [
      ['gold', 'platinum'],
      ['none', 'none'],
    ]) {
      const response = await get('/v1/analytics/migration/customers', {
        ...window,
        fromLevel,
        toLevel,
      }).expect(200);
      expect(response.body).toMatchObject({ total: 0, items: [], nextCursor: null });
    }
  });

  it('names every missing or malformed parameter, and refuses the ingest role', async () => {
    const response = await get('/v1/analytics/migration/customers', {
      dimension: 'tier',
      from: 'yesterday',
      toLevel: '<b>',
    }).expect(400);
    const fields = (response.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['from', 'fromLevel', 'to', 'toLevel']);
    await get(
      '/v1/analytics/migration/customers',
      { ...window, fromLevel: 'none', toLevel: 'basic' },
      KEYS.ingest,
    ).expect(403);
  });

  it("GET /v1/profiles/{id}/timeline gives the customer's tier and stage intervals, oldest first", async () => {
    const [customerId] = silver;
    const response = await get(`/v1/profiles/${customerId}/timeline`, {}).expect(200);
    const intervals = response.body.intervals as Array<Record<string, unknown>>;
    const of = (dimension: string) =>
      intervals.filter((i) => i.dimension === dimension).map((i) => [i.level, i.from, i.to]);
    expect(of('tier')).toEqual([['silver', daysAgo(10), null]]);
    expect(of('stage')).toEqual([
      ['prospect', daysAgo(60), daysAgo(10)],
      ['new', daysAgo(10), null],
    ]);
    await get(`/v1/profiles/${uniqueId('nobody')}/timeline`, {}).expect(404);
  });
});
