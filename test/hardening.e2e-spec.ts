import request from 'supertest';
import { uniqueId } from '@app/testing';
import { MongoCustomerKeyStore } from '@app/read-models';
import { POLICY_TRANSITIONS, storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

const inquiry = (overrides: Record<string, unknown>) =>
  purchase({
    kind: 'inquiry',
    orderId: undefined,
    amount: undefined,
    currency: undefined,
    ...overrides,
  });

describe('ingestion under awkward conditions', () => {
  // Two API processes sharing one event store and one key database, as replicas would.
  let first: TestApi;
  let second: TestApi;
  beforeAll(async () => {
    const database = uniqueId('shared').replace(/-/g, '_');
    first = await startTestApi({ MONGODB_DB: database });
    second = await startTestApi({ MONGODB_DB: database });
  });
  afterAll(() => Promise.all([first.close(), second.close()]));

  const post = (api: TestApi, path: string, body: unknown) =>
    request(api.http)
      .post(path)
      .set('Authorization', KEYS.ingest)
      .send(body as object);

  it('stores a batch whose touchpoints for one customer exceed the maximum append size', async () => {
    const customerId = uniqueId('cust');
    const items = Array.from({ length: 1000 }, () =>
      inquiry({ customerId, note: 'n'.repeat(1000) }),
    );
    const response = await post(first, '/v1/touchpoints/batch', { touchpoints: items });
    expect(response.status).toBe(200);
    expect(
      response.body.results.filter((r: { status: string }) => r.status === 'created'),
    ).toHaveLength(1000);
    expect(await storedEvents(first.eventStore, customerId)).toHaveLength(1001);
  });

  it('refuses new personal data for a customer whose key is gone with 410, in any process, storing nothing', async () => {
    const touchpoint = inquiry({ note: 'first contact' });
    const customerId = touchpoint.customerId as string;
    expect((await post(first, '/v1/touchpoints', touchpoint)).status).toBe(201);
    await new MongoCustomerKeyStore(first.mongo.db).destroy(customerId);

    const retry = await post(second, '/v1/touchpoints', touchpoint);
    expect(retry.status).toBe(200);
    expect(retry.body.duplicate).toBe(true);
    const withNote = await post(second, '/v1/touchpoints', inquiry({ customerId, note: 'more' }));
    expect(withNote.status).toBe(410);
    expect(withNote.body.code).toBe('CUSTOMER_ERASED');
    const withoutNote = await post(second, '/v1/touchpoints', inquiry({ customerId }));
    expect(withoutNote.status).toBe(201);
    expect(await storedEvents(first.eventStore, customerId)).toHaveLength(3);
  });

  it('rejects only the affected items of a batch when storing them fails, and stores the rest', async () => {
    const erased = inquiry({ note: 'hello' });
    expect((await post(first, '/v1/touchpoints', erased)).status).toBe(201);
    await new MongoCustomerKeyStore(first.mongo.db).destroy(erased.customerId as string);
    const fine = inquiry({});
    const response = await post(second, '/v1/touchpoints/batch', {
      touchpoints: [fine, inquiry({ customerId: erased.customerId, note: 'again' })],
    });
    expect(response.status).toBe(200);
    expect(response.body.results).toEqual([
      expect.objectContaining({ index: 0, status: 'created' }),
      {
        index: 1,
        status: 'rejected',
        errors: [{ code: 'CUSTOMER_ERASED', message: expect.any(String), retryable: false }],
      },
    ]);
    expect(await storedEvents(first.eventStore, fine.customerId as string)).toHaveLength(2);
  });

  it('stores one event for 32 concurrent sends of a touchpoint split across two processes', async () => {
    const touchpoint = purchase();
    const responses = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        post(i % 2 ? first : second, '/v1/touchpoints', touchpoint),
      ),
    );
    expect(responses.every((response) => [200, 201].includes(response.status))).toBe(true);
    expect(new Set(responses.map((response) => response.body.eventId)).size).toBe(1);
    // The purchase's policy transitions (membership, stage, segments) come with it once, not once per send.
    const types = (await storedEvents(first.eventStore, touchpoint.customerId as string)).map(
      (e) => e.type,
    );
    expect(types.filter((type) => !POLICY_TRANSITIONS.includes(type))).toEqual([
      'CustomerRegistered',
      'PurchaseRecorded',
    ]);
    expect(types.filter((type) => type === 'TierChanged')).toEqual(['TierChanged']);
    expect(types.filter((type) => type === 'LifecycleStageChanged')).toEqual([
      'LifecycleStageChanged',
    ]);
  });

  it('applies every concurrent profile edit without If-Match, from two processes', async () => {
    const customerId = uniqueId('cust');
    expect((await post(first, '/v1/customers', { customerId })).status).toBe(201);
    const edits = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request((i % 2 ? first : second).http)
          .patch(`/v1/customers/${customerId}`)
          .set('Authorization', KEYS.ingest)
          .send({ region: `region-${i}` }),
      ),
    );
    expect(edits.map((edit) => edit.status)).toEqual(Array(10).fill(200));
    expect(await storedEvents(first.eventStore, customerId)).toHaveLength(11);
  });

  it('refuses null for an optional field instead of ignoring it', async () => {
    const customerId = uniqueId('cust');
    const response = await post(first, '/v1/customers', { customerId, email: null });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'email' })]),
    );
    expect(await storedEvents(first.eventStore, customerId)).toEqual([]);
  });

  it('answers 401 before reading the body of a caller without a key', async () => {
    const response = await request(first.http)
      .post('/v1/touchpoints')
      .set('Content-Type', 'application/json')
      .send('{"not json');
    expect(response.status).toBe(401);
  });

  describe.each([
    ['POST', '/v1/touchpoints/batch'],
    ['POST', '/v1/customers'],
    ['PATCH', '/v1/customers/someone'],
  ])('hostile bodies on %s %s', (method, path) => {
    const send = (body: string) => {
      const agent = request(first.http);
      return (method === 'POST' ? agent.post(path) : agent.patch(path))
        .set('Authorization', KEYS.ingest)
        .set('Content-Type', 'application/json')
        .send(body);
    };

    it('refuses prototype-pollution keys with 400', async () => {
      const response = await send(
        '{"constructor":{"prototype":{"polluted":true}},"customerId":"x"}',
      );
      expect(response.status).toBe(400);
      expect(response.body.detail).toContain('"prototype" is not allowed');
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it('refuses a 10 MB body with 413', async () => {
      const response = await send(
        JSON.stringify({ customerId: 'x', name: 'y'.repeat(10 * 1024 * 1024) }),
      );
      expect(response.status).toBe(413);
    });

    it('refuses wrong types and unknown fields with 400', async () => {
      const response = await send(
        JSON.stringify({ touchpoints: 'all', customerId: 7, region: 5, extra: 1 }),
      );
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.length).toBeGreaterThanOrEqual(2);
    });
  });
});
