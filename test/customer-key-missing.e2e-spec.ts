import request from 'supertest';
import { uniqueId } from '@app/testing';
import { storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

// A key lost from MongoDB (not destroyed by erasure, which leaves a tombstone) must never be replaced
// silently: a new key would make everything sealed before unreadable for good.
describe('a customer whose key went missing', () => {
  let first: TestApi;
  let second: TestApi;
  beforeAll(async () => {
    first = await startTestApi();
    // Another process, with cold caches, on the same database.
    second = await startTestApi({ MONGODB_DB: first.database });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  const send = (api: TestApi, body: Record<string, unknown>) =>
    request(api.http).post('/v1/touchpoints').set('Authorization', KEYS.ingest).send(body);

  it('answers 500 CUSTOMER_KEY_MISSING for its next personal data, stores nothing and creates no key; others are served', async () => {
    const customerId = uniqueId('cust');
    expect((await send(first, purchase({ customerId, note: 'Ms Jane Roe' }))).status).toBe(201);
    const keys = first.mongo.db.collection('customer_keys');
    await keys.deleteOne({ _id: customerId as never });
    const before = await storedEvents(first.eventStore, customerId);

    const refused = await send(second, purchase({ customerId, note: 'Flat 4' }));
    expect(refused.status).toBe(500);
    expect(refused.body).toMatchObject({ status: 500, code: 'CUSTOMER_KEY_MISSING' });
    expect(refused.body.detail).toContain(customerId);
    expect(await storedEvents(first.eventStore, customerId)).toEqual(before);
    expect(await keys.countDocuments({ _id: customerId as never })).toBe(0);

    const other = await send(second, purchase({ note: 'Mr John Doe' }));
    expect(other.status).toBe(201);
  });

  it('refuses the item of a batch whose customer lost its key and creates no key; the other items are stored', async () => {
    const customerId = uniqueId('cust');
    expect((await send(first, purchase({ customerId, note: 'Ms Jane Roe' }))).status).toBe(201);
    const keys = first.mongo.db.collection('customer_keys');
    await keys.deleteOne({ _id: customerId as never });
    const before = await storedEvents(first.eventStore, customerId);
    const newcomer = uniqueId('cust');

    const answer = await request(second.http)
      .post('/v1/touchpoints/batch')
      .set('Authorization', KEYS.ingest)
      .send({
        touchpoints: [
          purchase({ customerId, note: 'Flat 4' }),
          purchase({ customerId: newcomer, note: 'Mr John Doe' }),
        ],
      });
    expect(answer.status).toBe(200);
    expect(answer.body.results).toMatchObject([
      {
        index: 0,
        status: 'rejected',
        errors: [expect.objectContaining({ code: 'CUSTOMER_KEY_MISSING' })],
      },
      { index: 1, status: 'created' },
    ]);
    expect(await storedEvents(first.eventStore, customerId)).toEqual(before);
    expect(await keys.countDocuments({ _id: customerId as never })).toBe(0);
    expect(await keys.countDocuments({ _id: newcomer as never })).toBe(1);
  });

  it('still answers 410 for an erased customer (a destroyed key is not a missing one)', async () => {
    const customerId = uniqueId('cust');
    expect((await send(first, purchase({ customerId, note: 'Ms Jane Roe' }))).status).toBe(201);
    await first.mongo.db
      .collection('customer_keys')
      .updateOne({ _id: customerId as never }, { $set: { key: null, destroyedAt: new Date() } });
    const refused = await send(second, purchase({ customerId, note: 'Flat 4' }));
    expect(refused.status).toBe(410);
    expect(refused.body).toMatchObject({ code: 'CUSTOMER_ERASED' });
  });
});
