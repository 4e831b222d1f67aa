import request from 'supertest';
import { uniqueId } from '@app/testing';
import { storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { inquiry } from './support/touchpoints';

describe('a batch is appended in chunks under the event store maximum append size', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('stores a batch whose touchpoints for one customer exceed the maximum append size', async () => {
    const customerId = uniqueId('cust');
    const items = Array.from({ length: 1000 }, () =>
      inquiry({ customerId, note: 'n'.repeat(1000) }),
    );
    const response = await request(api.http)
      .post('/v1/touchpoints/batch')
      .set('Authorization', KEYS.ingest)
      .send({ touchpoints: items });
    expect(response.status).toBe(200);
    expect(
      response.body.results.filter((r: { status: string }) => r.status === 'created'),
    ).toHaveLength(1000);
    expect(await storedEvents(api.eventStore, customerId)).toHaveLength(1001);
  });
});
