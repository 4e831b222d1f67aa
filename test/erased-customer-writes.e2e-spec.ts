import request from 'supertest';
import { MongoCustomerKeyStore } from '@app/read-models';
import { storedEvents } from './support/stored-events';
import { KEYS, startTwoTestApis, type TestApi } from './support/test-api';
import { inquiry } from './support/touchpoints';

describe('personal data for a customer whose key is destroyed is refused, by every process', () => {
  let first: TestApi;
  let second: TestApi;
  beforeAll(async () => {
    [first, second] = await startTwoTestApis();
  });
  afterAll(() => Promise.all([first.close(), second.close()]));

  const post = (api: TestApi, path: string, body: unknown) =>
    request(api.http)
      .post(path)
      .set('Authorization', KEYS.ingest)
      .send(body as object);

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
});
