import request from 'supertest';
import { storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';
import { uniqueId } from '@app/testing';

// A customer id names the stream (`customer-<id>`), which erasure keeps: it must not be personal data itself.
describe('customer ids are opaque: e-mail addresses and phone numbers are refused', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const post = (path: string, body: object) =>
    request(api.http).post(path).set('Authorization', KEYS.ingest).send(body);

  // Unique per run, so "nothing stored" cannot be another run's leftovers.
  const run = uniqueId('r')
    .replace(/[^0-9a-z]/gi, '')
    .slice(-6);
  const personalIds: Array<[string, string, RegExp]> = [
    ['an e-mail address', `ilse.${run}@okafor-example.org`, /e-mail address/],
    ['a phone number with separators', '020-7946-0958', /phone number/],
    ['a phone number in digits', `0044${run.replace(/\D/g, '7').padEnd(6, '1')}095`, /phone/],
  ];

  it.each(personalIds)(
    'POST /v1/customers refuses %s as customerId with 400 naming the field',
    async (_what, customerId, reason) => {
      const response = await post('/v1/customers', { customerId, name: 'Ilse' });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(response.body.errors).toEqual([
        { field: 'customerId', message: expect.stringMatching(reason) },
      ]);
      expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
    },
  );

  it.each(personalIds)(
    'POST /v1/touchpoints refuses %s as customerId with 400 naming the field',
    async (_what, customerId, reason) => {
      const response = await post('/v1/touchpoints', purchase({ customerId }));
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        { field: 'customerId', message: expect.stringMatching(reason) },
      ]);
      expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
    },
  );

  it('the batch route rejects each such item naming customerId and stores the others', async () => {
    const opaque = uniqueId('cust');
    const response = await post('/v1/touchpoints/batch', {
      touchpoints: personalIds
        .map(([, customerId]) => purchase({ customerId }))
        .concat(purchase({ customerId: opaque })),
    });
    expect(response.status).toBe(200);
    expect(response.body.results).toEqual([
      ...personalIds.map(([, , reason], index) => ({
        index,
        status: 'rejected',
        errors: [{ field: 'customerId', message: expect.stringMatching(reason) }],
      })),
      expect.objectContaining({ index: personalIds.length, status: 'created' }),
    ]);
    for (const [, customerId] of personalIds) {
      expect(await storedEvents(api.eventStore, customerId)).toEqual([]);
    }
  });

  it('accepts opaque ids, short numbers and numbers longer than any phone number', async () => {
    for (const customerId of [
      uniqueId('cust'),
      `c-0044207946${run}`,
      String(100_000 + Math.floor(Math.random() * 800_000)),
      `9${Date.now()}${run.replace(/\D/g, '1')}`.padEnd(18, '0'),
    ]) {
      const response = await post('/v1/customers', { customerId });
      expect({ customerId, status: response.status }).toEqual({ customerId, status: 201 });
    }
  });
});
