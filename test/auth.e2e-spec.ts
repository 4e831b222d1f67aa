import request from 'supertest';
import { uniqueId } from '@app/testing';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { storedEvents } from './support/stored-events';
import { purchase } from './support/touchpoints';

describe('API keys and roles', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('answers 401 problem+json without a key, naming the header to send', async () => {
    const response = await request(api.http).post('/v1/touchpoints').send(purchase());
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(response.body.detail).toContain('Authorization: Bearer');
  });

  it('answers 401 for an unknown key and stores nothing', async () => {
    const touchpoint = purchase();
    const response = await request(api.http)
      .post('/v1/touchpoints')
      .set('Authorization', 'Bearer not-a-key')
      .send(touchpoint);
    expect(response.status).toBe(401);
    expect(await storedEvents(api.eventStore, touchpoint.customerId as string)).toEqual([]);
  });

  const writeRoutes: Array<[string, string, () => object]> = [
    ['POST', '/v1/touchpoints', () => purchase()],
    ['POST', '/v1/touchpoints/batch', () => ({ touchpoints: [purchase()] })],
    ['POST', '/v1/customers', () => ({ customerId: uniqueId('cust') })],
    ['PATCH', `/v1/customers/${uniqueId('cust')}`, () => ({ region: 'north' })],
  ];

  describe.each(['analyst', 'auditor'] as const)('the %s role', (role) => {
    it.each(writeRoutes)(
      'is refused %s %s with 403 and nothing is stored',
      async (method, path, body) => {
        const payload = body() as {
          customerId?: string;
          touchpoints?: Array<{ customerId: string }>;
        };
        const agent = request(api.http);
        const call = method === 'POST' ? agent.post(path) : agent.patch(path);
        const response = await call.set('Authorization', KEYS[role]).send(payload);
        expect(response.status).toBe(403);
        expect(response.body.detail).toContain(`The ${role} role may not call this route`);
        const customerId = payload.customerId ?? payload.touchpoints?.[0].customerId;
        if (customerId) expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
      },
    );
  });

  it('lets the admin role ingest too', async () => {
    const response = await request(api.http)
      .post('/v1/touchpoints')
      .set('Authorization', KEYS.admin)
      .send(purchase());
    expect(response.status).toBe(201);
  });

  it('needs no key for health and docs', async () => {
    expect((await request(api.http).get('/health/live')).status).toBe(200);
    const ready = await request(api.http).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'up',
      checks: { eventStore: { status: 'up' }, mongodb: { status: 'up' } },
      // No projector runs in this suite: it has no checkpoint while events exist.
      projector: { checkpoint: null, head: expect.stringMatching(/^\d+$/), caughtUp: false },
    });
    const docs = await request(api.http).get('/docs-json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/touchpoints',
        '/v1/touchpoints/batch',
        '/v1/customers',
        '/v1/customers/{id}',
      ]),
    );
    expect((await request(api.http).get('/docs')).status).toBe(200);
  });

  it('uses the configured keys instead of the dev keys', async () => {
    const configured = await startTestApi({
      CRM_API_KEYS: 'ingest:till-1:till-key-1234567890abcdef',
    });
    try {
      const dev = await request(configured.http)
        .post('/v1/touchpoints')
        .set('Authorization', KEYS.ingest)
        .send(purchase());
      expect(dev.status).toBe(401);
      const real = await request(configured.http)
        .post('/v1/touchpoints')
        .set('Authorization', 'Bearer till-key-1234567890abcdef')
        .send(purchase());
      expect(real.status).toBe(201);
    } finally {
      await configured.close();
    }
  });
});
