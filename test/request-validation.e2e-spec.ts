import request from 'supertest';
import { uniqueId } from '@app/testing';
import { BODY_ROUTES, sendRaw } from './support/raw-body';
import { storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';

describe('bodies of the wrong shape are refused with every problem named', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('refuses null for an optional field instead of ignoring it', async () => {
    const customerId = uniqueId('cust');
    const response = await request(api.http)
      .post('/v1/customers')
      .set('Authorization', KEYS.ingest)
      .send({ customerId, email: null });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'email' })]),
    );
    expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
  });

  it.each(BODY_ROUTES)(
    'refuses wrong types and unknown fields with 400 on %s %s',
    async (method, path) => {
      const response = await sendRaw(
        api,
        method,
        path,
        JSON.stringify({ touchpoints: 'all', customerId: 7, region: 5, extra: 1 }),
      );
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.length).toBeGreaterThanOrEqual(2);
    },
  );
});
