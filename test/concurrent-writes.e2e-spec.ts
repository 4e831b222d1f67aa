import request from 'supertest';
import { uniqueId } from '@app/testing';
import { POLICY_TRANSITIONS, storedEvents } from './support/stored-events';
import { KEYS, startTwoTestApis, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

describe('concurrent writes to one customer from two processes', () => {
  let first: TestApi;
  let second: TestApi;
  beforeAll(async () => {
    [first, second] = await startTwoTestApis();
  });
  afterAll(() => Promise.all([first.close(), second.close()]));

  it('stores one event for 32 concurrent sends of a touchpoint split across two processes', async () => {
    const touchpoint = purchase();
    const responses = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        request((i % 2 ? first : second).http)
          .post('/v1/touchpoints')
          .set('Authorization', KEYS.ingest)
          .send(touchpoint),
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
    const registered = await request(first.http)
      .post('/v1/customers')
      .set('Authorization', KEYS.ingest)
      .send({ customerId });
    expect(registered.status).toBe(201);
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
});
