import request from 'supertest';
import { touchpointEventId } from '@app/domain';
import { uniqueId } from '@app/testing';
import { POLICY_TRANSITIONS, storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

describe('POST /v1/touchpoints/batch', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const sendBatch = (touchpoints: unknown) =>
    request(api.http)
      .post('/v1/touchpoints/batch')
      .set('Authorization', KEYS.ingest)
      .send({ touchpoints });

  it('answers each item: created, duplicate or rejected, storing all but the rejected', async () => {
    const customerId = uniqueId('cust');
    const first = purchase({ customerId });
    const invalid = purchase({ customerId: uniqueId('cust'), amount: 'lots' });
    const ruleBreaker = purchase({
      customerId,
      kind: 'complaint_escalated',
      orderId: undefined,
      amount: undefined,
      currency: undefined,
      complaintId: 'never-opened',
    });
    const response = await sendBatch([first, invalid, first, ruleBreaker, 'not an object']);
    expect(response.status).toBe(200);
    const eventId = touchpointEventId('shop-till', first.touchpointId as string);
    const position = response.body.position as number;
    expect(response.body.results).toEqual([
      { index: 0, status: 'created', eventId, revision: 1, position },
      {
        index: 1,
        status: 'rejected',
        errors: expect.arrayContaining([
          { field: 'amount', message: expect.stringMatching(/number/) },
        ]),
      },
      // Within one batch too, the duplicate names the stored event and the append that stored it.
      { index: 2, status: 'duplicate', eventId, revision: 1, position },
      {
        index: 3,
        status: 'rejected',
        errors: [{ code: 'COMPLAINT_NOT_OPEN', message: expect.any(String), retryable: false }],
      },
      {
        index: 4,
        status: 'rejected',
        errors: [{ field: '', message: 'each item must be a JSON object' }],
      },
    ]);
    expect(position).toEqual(expect.any(Number));
    // The purchase is followed by the transitions it causes (tier, stage, segments); nothing else is stored.
    const types = (await storedEvents(api.eventStore, customerId)).map((e) => e.type);
    expect(types.filter((type) => !POLICY_TRANSITIONS.includes(type))).toEqual([
      'CustomerRegistered',
      'PurchaseRecorded',
    ]);
    expect(await storedEvents(api.eventStore, invalid.customerId as string)).toEqual([]);
  });

  it('reports a whole batch sent again as duplicates and stores nothing more', async () => {
    const items = Array.from({ length: 50 }, (_, i) =>
      purchase({ customerId: `batch-${i % 5}-${uniqueId()}` }),
    );
    const first = await sendBatch(items);
    expect(first.body.results.every((r: { status: string }) => r.status === 'created')).toBe(true);
    const customers = items.slice(0, 5).map((item) => item.customerId as string);
    const stored = await Promise.all(customers.map((id) => storedEvents(api.eventStore, id)));
    const again = await sendBatch(items);
    expect(again.body.results.every((r: { status: string }) => r.status === 'duplicate')).toBe(
      true,
    );
    for (const [index, id] of customers.entries()) {
      const events = await storedEvents(api.eventStore, id);
      expect(events).toEqual(stored[index]);
      expect(events.filter((e) => e.type === 'PurchaseRecorded')).toHaveLength(1);
    }
  });

  it('stores 1 000 touchpoints of one batch for many customers', async () => {
    const customers = Array.from({ length: 100 }, () => uniqueId('cust'));
    const items = Array.from({ length: 1000 }, (_, i) =>
      purchase({ customerId: customers[i % 100] }),
    );
    const response = await sendBatch(items);
    expect(response.status).toBe(200);
    expect(
      response.body.results.filter((r: { status: string }) => r.status === 'created'),
    ).toHaveLength(1000);
    const events = await storedEvents(api.eventStore, customers[7]);
    expect(events.filter((e) => e.type === 'PurchaseRecorded')).toHaveLength(10);
  });

  it('refuses more than 1 000 items, an empty batch and a missing array as a whole', async () => {
    const tooMany = await sendBatch(Array.from({ length: 1001 }, () => purchase()));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors).toEqual([
      { field: 'touchpoints', message: 'touchpoints must contain at most 1000 items' },
    ]);
    expect((await sendBatch([])).status).toBe(400);
    const missing = await request(api.http)
      .post('/v1/touchpoints/batch')
      .set('Authorization', KEYS.ingest)
      .send({ items: [] });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'items', message: 'property items should not exist' },
        { field: 'touchpoints', message: expect.stringContaining('touchpoints must be an array') },
      ]),
    );
  });
});
