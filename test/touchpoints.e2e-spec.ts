import request from 'supertest';
import { touchpointEventId } from '@app/domain';
import { uniqueId } from '@app/testing';
import { storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

describe('POST /v1/touchpoints', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const send = (body: unknown) =>
    request(api.http)
      .post('/v1/touchpoints')
      .set('Authorization', KEYS.ingest)
      .send(body as object);

  it('stores a touchpoint and answers 201 with its event id, revision and position', async () => {
    const touchpoint = purchase();
    const response = await send(touchpoint);
    expect(response.status).toBe(201);
    const eventId = touchpointEventId('shop-till', touchpoint.touchpointId as string);
    expect(response.body).toEqual({
      eventId,
      customerId: touchpoint.customerId,
      revision: 1,
      position: expect.any(Number),
      duplicate: false,
    });
    const events = await storedEvents(api.eventStore, touchpoint.customerId as string);
    // The purchase is followed by the transitions it causes (tier, stage, segments), in the same append.
    expect(events.map((e) => e.type).slice(0, 2)).toEqual([
      'CustomerRegistered',
      'PurchaseRecorded',
    ]);
    expect(events[1].id).toBe(eventId);
  });

  it('creates an unknown customer as a prospect', async () => {
    const touchpoint = purchase({
      kind: 'inquiry',
      orderId: undefined,
      amount: undefined,
      currency: undefined,
    });
    expect((await send(touchpoint)).status).toBe(201);
    const [registered] = await storedEvents(api.eventStore, touchpoint.customerId as string);
    expect(registered).toMatchObject({
      type: 'CustomerRegistered',
      data: { origin: 'touchpoint' },
    });
  });

  it('answers a retry with 200, the same event id and duplicate: true, storing nothing more', async () => {
    const touchpoint = purchase();
    const first = await send(touchpoint);
    const stored = await storedEvents(api.eventStore, touchpoint.customerId as string);
    const again = await send(touchpoint);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ eventId: first.body.eventId, duplicate: true });
    expect(await storedEvents(api.eventStore, touchpoint.customerId as string)).toEqual(stored);
  });

  it('stores exactly one event for 32 concurrent sends of the same touchpoint', async () => {
    const touchpoint = purchase();
    const responses = await Promise.all(Array.from({ length: 32 }, () => send(touchpoint)));
    expect(new Set(responses.map((r) => r.body.eventId)).size).toBe(1);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200 && r.body.duplicate === true)).toHaveLength(31);
    const events = await storedEvents(api.eventStore, touchpoint.customerId as string);
    expect(events.filter((e) => e.type === 'PurchaseRecorded')).toHaveLength(1);
  });

  it('keeps every touchpoint when many arrive for one customer at once', async () => {
    const customerId = uniqueId('cust');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => send(purchase({ customerId }))),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
    const events = await storedEvents(api.eventStore, customerId);
    expect(events.filter((e) => e.type === 'PurchaseRecorded')).toHaveLength(20);
    expect(new Set(responses.map((r) => r.body.revision)).size).toBe(20);
  });

  it('writes the metadata envelope on every event', async () => {
    const touchpoint = purchase();
    await send(touchpoint).set('X-Correlation-Id', 'req-42');
    const [registered, recorded] = await storedEvents(
      api.eventStore,
      touchpoint.customerId as string,
    );
    for (const event of [registered, recorded]) {
      expect(event.metadata).toEqual({
        eventId: event.id,
        occurredAt: '2026-03-01T10:15:00Z',
        recordedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        actor: 'ingest:dev-ingest',
        // The same on every event of one append: which append stored the event.
        appendId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        source: 'shop-till',
        correlationId: 'req-42',
        causationId: null,
        schemaVersion: 1,
        // Tamper evidence: a hash chaining the event to the previous one of its stream.
        chain: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    }
    expect(recorded.metadata.chain).not.toBe(registered.metadata.chain);
    expect(recorded.metadata.appendId).toBe(registered.metadata.appendId);
  });

  it('stores free text encrypted with a per-customer key', async () => {
    const touchpoint = purchase({ note: 'Asked for Ms Jane Roe, flat 4' });
    expect((await send(touchpoint)).status).toBe(201);
    const [, recorded] = await storedEvents(api.eventStore, touchpoint.customerId as string);
    expect(JSON.stringify(recorded.data)).not.toContain('Jane Roe');
    expect(recorded.data.note).toMatch(/^enc:v1:/);
    const key = await api.mongo.db
      .collection('customer_keys')
      .findOne({ _id: touchpoint.customerId as never });
    expect(key).toMatchObject({ _id: touchpoint.customerId });
  });

  describe('validation', () => {
    async function expectRejected(
      body: Record<string, unknown>,
      problems: Array<[string, RegExp]>,
    ) {
      const response = await send(body);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      for (const [field, message] of problems) {
        expect(response.body.errors).toEqual(
          expect.arrayContaining([{ field, message: expect.stringMatching(message) }]),
        );
      }
      if (typeof body.customerId === 'string') {
        expect(await storedEvents(api.eventStore, body.customerId)).toEqual([]);
      }
      return response.body.errors as Array<{ field: string }>;
    }

    it('lists every problem of a request at once', async () => {
      const errors = await expectRejected(
        purchase({
          kind: 'purchase',
          orderId: undefined,
          amount: -5,
          channel: 'pigeon',
          occurredAt: 'yesterday',
        }),
        [
          ['orderId', /orderId is required for kind purchase/],
          ['amount', /amount must not be less than/],
          ['channel', /channel must be one of store, phone/],
          ['occurredAt', /ISO-8601/],
        ],
      );
      expect(errors.length).toBeGreaterThanOrEqual(4);
    });

    it('refuses fields of another kind', async () => {
      await expectRejected(purchase({ kind: 'feedback', score: 4, orderId: 'o-1', amount: 3 }), [
        ['orderId', /orderId is not a field of kind feedback/],
        ['amount', /amount is not a field of kind feedback/],
      ]);
    });

    it('refuses unknown fields', async () => {
      await expectRejected(purchase({ loyaltyHack: true }), [['loyaltyHack', /should not exist/]]);
    });

    it('refuses wrong types instead of converting them', async () => {
      await expectRejected(purchase({ amount: '120.50', customerId: 42 }), [
        ['amount', /amount must be a number/],
        ['customerId', /customerId must be a string/],
      ]);
    });

    it('refuses impossible and future dates', async () => {
      await expectRejected(purchase({ occurredAt: '2026-02-30T10:00:00Z' }), [
        ['occurredAt', /not a real calendar date/],
      ]);
      await expectRejected(purchase({ occurredAt: '2999-01-01T00:00:00Z' }), [
        ['occurredAt', /must not be in the future/],
      ]);
    });

    it('refuses ids that could break stream names', async () => {
      await expectRejected(purchase({ customerId: 'a/../b' }), [
        ['customerId', /may contain only/],
      ]);
      await expectRejected(purchase({ touchpointId: 'x\u0000y' }), [
        ['touchpointId', /may contain only/],
      ]);
    });

    it('refuses feedback scores out of range', async () => {
      await expectRejected(
        purchase({
          kind: 'feedback',
          orderId: undefined,
          amount: undefined,
          currency: undefined,
          score: 9,
        }),
        [['score', /score must not be greater than 5/]],
      );
    });
  });

  describe('business rules', () => {
    it('answers 409 with the domain code when a complaint that is not open is resolved', async () => {
      const body = purchase({
        kind: 'complaint_resolved',
        orderId: undefined,
        amount: undefined,
        currency: undefined,
        complaintId: 'cmp-1',
        resolution: 'refunded',
      });
      const response = await send(body);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ code: 'COMPLAINT_NOT_OPEN', status: 409 });
      expect(await storedEvents(api.eventStore, body.customerId as string)).toEqual([]);
    });
  });

  describe('hostile payloads', () => {
    it('refuses a 10 MB body with 413 and stores nothing', async () => {
      const touchpoint = purchase({ note: 'x'.repeat(10 * 1024 * 1024) });
      const response = await send(touchpoint);
      expect(response.status).toBe(413);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await storedEvents(api.eventStore, touchpoint.customerId as string)).toEqual([]);
    });

    it.each(['__proto__', 'constructor', 'prototype'])(
      'refuses a body with a %s key and stores nothing',
      async (key) => {
        const touchpoint = purchase();
        const json = JSON.stringify(touchpoint).replace(/^\{/, `{"${key}":{"isAdmin":true},`);
        const response = await request(api.http)
          .post('/v1/touchpoints')
          .set('Authorization', KEYS.ingest)
          .set('Content-Type', 'application/json')
          .send(json);
        expect(response.status).toBe(400);
        expect(response.body.detail).toContain(`"${key}" is not allowed`);
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
        expect(await storedEvents(api.eventStore, touchpoint.customerId as string)).toEqual([]);
      },
    );

    it('refuses malformed JSON with 400', async () => {
      const response = await request(api.http)
        .post('/v1/touchpoints')
        .set('Authorization', KEYS.ingest)
        .set('Content-Type', 'application/json')
        .send('{"touchpointId": ');
      expect(response.status).toBe(400);
      expect(response.body.detail).toMatch(/could not be read/);
    });

    it('refuses a body that is not JSON with 415', async () => {
      const response = await request(api.http)
        .post('/v1/touchpoints')
        .set('Authorization', KEYS.ingest)
        .set('Content-Type', 'text/plain')
        .send('kind=purchase');
      expect(response.status).toBe(415);
    });

    it('refuses a JSON array or scalar body', async () => {
      expect((await send([purchase()])).status).toBe(400);
      const scalar = await request(api.http)
        .post('/v1/touchpoints')
        .set('Authorization', KEYS.ingest)
        .set('Content-Type', 'application/json')
        .send('"purchase"');
      expect(scalar.status).toBe(400);
    });
  });
});

describe('POST /v1/touchpoints across API processes', () => {
  it('answers a retry sent to another API process as a duplicate', async () => {
    const [first, second] = [await startTestApi(), await startTestApi()];
    try {
      const touchpoint = purchase();
      const send = (api: TestApi) =>
        request(api.http)
          .post('/v1/touchpoints')
          .set('Authorization', KEYS.ingest)
          .send(touchpoint);
      const original = await send(first);
      const stored = await storedEvents(first.eventStore, touchpoint.customerId as string);
      const retry = await send(second);
      expect(original.status).toBe(201);
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ eventId: original.body.eventId, duplicate: true });
      expect(await storedEvents(first.eventStore, touchpoint.customerId as string)).toEqual(stored);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
