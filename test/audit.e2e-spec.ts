import request from 'supertest';
import type { RunningProjector } from '@apps/projector';
import { waitForPosition } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { startTestProjector } from './support/test-projector';
import { storedEvents } from './support/stored-events';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A small seeded generator, so a failing population can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('auditors: history, as-of and erasure', () => {
  let api: TestApi;
  let projector: RunningProjector;

  beforeAll(async () => {
    api = await startTestApi({ CRM_REVIEW_INTERVAL_MINUTES: '0' });
    projector = await startTestProjector(api.database);
  });

  afterAll(async () => {
    await projector?.stop();
    await api?.close();
  });

  const ingest = (path: string, body: object) =>
    request(api.http).post(path).set('Authorization', KEYS.ingest).send(body);

  async function register(customerId: string, extra: Record<string, unknown> = {}) {
    const response = await ingest('/v1/customers', {
      customerId,
      name: 'Grace Hopper',
      email: `${customerId}@example.com`,
      region: 'north',
      occurredAt: '2025-01-10T09:00:00Z',
      ...extra,
    });
    expect(response.status).toBe(201);
    return response.body as { position: number };
  }

  function touchpoint(customerId: string, kind: string, occurredAt: string, extra = {}) {
    return {
      touchpointId: uniqueId('tp'),
      source: 'crm-test',
      customerId,
      kind,
      occurredAt,
      channel: 'store',
      direction: 'inbound',
      ...extra,
    };
  }

  const buy = (customerId: string, occurredAt: string, amount: number, extra = {}) =>
    touchpoint(customerId, 'purchase', occurredAt, { orderId: uniqueId('o'), amount, ...extra });

  async function record(items: object[]): Promise<number> {
    let position = 0;
    for (let i = 0; i < items.length; i += 1000) {
      const response = await ingest('/v1/touchpoints/batch', {
        touchpoints: items.slice(i, i + 1000),
      });
      expect(response.status).toBe(200);
      const rejected = (response.body.results as Array<{ status: string }>).filter(
        (result) => result.status !== 'created',
      );
      expect(rejected).toEqual([]);
      position = Math.max(position, response.body.position as number);
    }
    return position;
  }

  const history = (
    customerId: string,
    query: Record<string, unknown> = {},
    key: string = KEYS.auditor,
  ) =>
    request(api.http)
      .get(`/v1/customers/${customerId}/history`)
      .query(query)
      .set('Authorization', key);

  const asOf = (customerId: string, query: Record<string, unknown>, key: string = KEYS.auditor) =>
    request(api.http)
      .get(`/v1/customers/${customerId}/as-of`)
      .query(query)
      .set('Authorization', key);

  const erase = (customerId: string, key: string = KEYS.admin) =>
    request(api.http)
      .post(`/v1/customers/${customerId}/erase`)
      .set('Authorization', key)
      .send({ reason: 'request #17' });

  describe('who may call', () => {
    it('history and as-of answer auditors and admins, and refuse analysts and emitters with 403', async () => {
      const customerId = uniqueId('roles');
      await register(customerId);
      for (const key of [KEYS.auditor, KEYS.admin]) {
        expect((await history(customerId, {}, key)).status).toBe(200);
        expect((await asOf(customerId, { at: iso(Date.now()) }, key)).status).toBe(200);
      }
      for (const key of [KEYS.analyst, KEYS.ingest]) {
        const refused = await history(customerId, {}, key);
        expect(refused.status).toBe(403);
        expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
        expect((await asOf(customerId, { at: iso(Date.now()) }, key)).status).toBe(403);
      }
    });

    it('erasure answers admins only: auditors, analysts and emitters get 403 and nothing is erased', async () => {
      const customerId = uniqueId('roles');
      await register(customerId);
      for (const key of [KEYS.auditor, KEYS.analyst, KEYS.ingest]) {
        expect((await erase(customerId, key)).status).toBe(403);
      }
      const events = (await history(customerId)).body.items as Array<{ data: { name: string } }>;
      expect(events[0].data.name).toBe('Grace Hopper');
    });
  });

  describe('history', () => {
    it('lists every event with its full metadata, revision and commit position, personal fields opened', async () => {
      const customerId = uniqueId('hist');
      await register(customerId);
      await record([
        buy(customerId, '2025-02-01T10:00:00Z', 80, { note: 'asked for gift wrap' }),
        touchpoint(customerId, 'inquiry', '2025-02-03T10:00:00Z', { topic: 'delivery' }),
      ]);
      const response = await history(customerId).set('X-Correlation-Id', 'audit-1').expect(200);
      const stored = await storedEvents(api.eventStore, customerId);
      const items = response.body.items as Array<Record<string, unknown>>;
      expect(items.map((item) => item.type)).toEqual(stored.map((event) => event.type));
      expect(items.map((item) => item.revision)).toEqual(stored.map((_, index) => index));
      const purchase = items.find((item) => item.type === 'PurchaseRecorded')!;
      expect(purchase).toEqual(
        expect.objectContaining({
          kind: 'purchase',
          eventId: stored[purchase.revision as number].id,
          occurredAt: '2025-02-01T10:00:00Z',
          recordedAt: expect.any(String),
          actor: expect.stringMatching(/^ingest:/),
          source: 'crm-test',
          correlationId: expect.any(String),
          causationId: null,
          schemaVersion: 1,
          position: expect.any(Number),
        }),
      );
      expect((purchase.data as { note: string }).note).toBe('asked for gift wrap');
      expect((items[0].data as { name: string }).name).toBe('Grace Hopper');
      const positions = items.map((item) => item.position as number);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(response.body.nextCursor).toBeNull();
    });

    it('filters by touchpoint kind and event type, and by business time on occurredAt', async () => {
      const customerId = uniqueId('hist');
      await register(customerId);
      await record([
        buy(customerId, '2025-02-01T10:00:00Z', 80),
        touchpoint(customerId, 'inquiry', '2025-03-01T10:00:00Z'),
        buy(customerId, '2025-04-01T10:00:00Z', 90),
      ]);
      const purchases = await history(customerId, { kinds: 'purchase' }).expect(200);
      expect(purchases.body.items.map((e: { type: string }) => e.type)).toEqual([
        'PurchaseRecorded',
        'PurchaseRecorded',
      ]);
      const mixed = await history(customerId, { kinds: 'inquiry,TierChanged' }).expect(200);
      expect(mixed.body.items.map((e: { type: string }) => e.type)).toEqual([
        'TierChanged',
        'InquiryRecorded',
      ]);
      const window = await history(customerId, {
        from: '2025-02-15T00:00:00Z',
        to: '2025-03-31',
        kinds: 'purchase,inquiry',
      }).expect(200);
      expect(window.body.items.map((e: { occurredAt: string }) => e.occurredAt)).toEqual([
        '2025-03-01T10:00:00Z',
      ]);
    });

    it('pages by revision with a cursor, and the pages together are the whole history', async () => {
      const customerId = uniqueId('hist');
      await register(customerId);
      await record(
        Array.from({ length: 23 }, (_, n) =>
          touchpoint(customerId, 'visit', iso(Date.parse('2025-05-01T00:00:00Z') + n * DAY)),
        ),
      );
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await history(customerId, { limit: 10, ...(cursor ? { cursor } : {}) }).expect(
          200,
        );
        seen.push(...page.body.items.map((e: { revision: number }) => e.revision));
        cursor = page.body.nextCursor ?? undefined;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(Array.from({ length: 24 }, (_, n) => n));
      const filtered = await history(customerId, { limit: 5, kinds: 'visit' }).expect(200);
      const next = await history(customerId, {
        limit: 5,
        kinds: 'visit',
        cursor: filtered.body.nextCursor,
      }).expect(200);
      expect(next.body.items[0].revision).toBe(6);
    });

    it('streams a long history completely as NDJSON, in order, with the filters applied', async () => {
      const customerId = uniqueId('long');
      await register(customerId);
      const total = 5000;
      await record(
        Array.from({ length: total }, (_, n) =>
          touchpoint(
            customerId,
            n % 2 ? 'visit' : 'inquiry',
            iso(Date.parse('2024-01-01') + n * 60_000),
            {
              note: `contact ${n}`,
            },
          ),
        ),
      );
      const response = await history(customerId)
        .set('Accept', 'application/x-ndjson')
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => done(null, text));
        })
        .expect(200);
      expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = (response.body as string).trimEnd().split('\n');
      expect(lines).toHaveLength(total + 1);
      const events = lines.map(
        (line) => JSON.parse(line) as { revision: number; data: { note?: string } },
      );
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: total + 1 }, (_, n) => n));
      expect(events[total].data.note).toBe(`contact ${total - 1}`);

      const visits = await history(customerId, { kinds: 'visit' })
        .set('Accept', 'application/x-ndjson')
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => done(null, text));
        })
        .expect(200);
      expect((visits.body as string).trimEnd().split('\n')).toHaveLength(total / 2);
    });

    it('answers 404 for an unknown customer, as JSON and as NDJSON', async () => {
      const missing = uniqueId('nobody');
      expect((await history(missing)).status).toBe(404);
      const streamed = await history(missing).set('Accept', 'application/x-ndjson');
      expect(streamed.status).toBe(404);
      expect(streamed.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('lists every bad parameter in one problem+json answer', async () => {
      const response = await history(uniqueId('hist'), {
        limit: 0,
        kinds: 'purchase,teleport',
        cursor: 'not-a-cursor',
        from: '2025-05-01',
        to: '2025-04-01',
        extra: 1,
      });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      const fields = (response.body.errors as Array<{ field: string; message: string }>).map(
        (e) => e.field,
      );
      expect(new Set(fields)).toEqual(new Set(['limit', 'kinds', 'cursor', 'to', 'extra']));
      const kinds = response.body.errors.find((e: { field: string }) => e.field === 'kinds');
      expect(kinds.message).toContain('"teleport"');
    });
  });

  describe('as-of', () => {
    it('shows stage, tier and spend as they were at a past business time', async () => {
      const customerId = uniqueId('asof');
      await register(customerId);
      await record([
        buy(customerId, '2025-02-01T10:00:00Z', 600),
        buy(customerId, '2025-03-01T10:00:00Z', 600),
      ]);
      const before = await asOf(customerId, { at: '2025-02-15T00:00:00Z' }).expect(200);
      expect(before.body).toEqual(expect.objectContaining({ stage: 'new', tier: 'basic' }));
      expect(before.body.eventsOccurredLater).toBeGreaterThanOrEqual(2);
      expect(before.body.profile.spend.lifetime).toBe(600);
      expect(before.body.profile.name).toBe('Grace Hopper');
      const after = await asOf(customerId, { at: '2025-03-05T00:00:00Z' }).expect(200);
      expect(after.body).toEqual(expect.objectContaining({ stage: 'active', tier: 'silver' }));
      expect(after.body.profile.spend.lifetime).toBe(1200);
      // No review ran: the drop to at_risk 90 days after the last purchase is the policy's verdict, not stored.
      const later = await asOf(customerId, { at: '2025-07-01T00:00:00Z' }).expect(200);
      expect(later.body.stage).toBe('at_risk');
      expect(later.body.dueTransitions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            type: 'LifecycleStageChanged',
            data: expect.objectContaining({
              to: 'at_risk',
              effectiveAt: '2025-05-30T10:00:00.000Z',
            }),
          }),
        ]),
      );
      const before2025 = await asOf(customerId, { at: '2024-12-31T00:00:00Z' });
      expect(before2025.status).toBe(404);
    });

    it('leaves out a back-dated purchase recorded after knownAt, and counts it once it was known', async () => {
      const customerId = uniqueId('asof');
      await register(customerId);
      await record([buy(customerId, '2025-03-01T10:00:00Z', 300)]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const believed = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await record([buy(customerId, '2025-02-01T10:00:00Z', 900)]);
      const at = '2025-03-10T00:00:00Z';
      const then = await asOf(customerId, { at, knownAt: believed }).expect(200);
      expect(then.body.profile.spend.lifetime).toBe(300);
      expect(then.body.tier).toBe('basic');
      expect(then.body.eventsRecordedLater).toBeGreaterThanOrEqual(1);
      const now = await asOf(customerId, { at }).expect(200);
      expect(now.body.profile.spend.lifetime).toBe(1200);
      expect(now.body.tier).toBe('silver');
      expect(now.body.profile.firstPurchaseAt).toBe('2025-02-01T10:00:00.000Z');
    });

    it('lists every bad parameter', async () => {
      const response = await asOf(uniqueId('asof'), { knownAt: 'yesterday', extra: 'x' });
      expect(response.status).toBe(400);
      const fields = (response.body.errors as Array<{ field: string }>).map((e) => e.field);
      expect(new Set(fields)).toEqual(new Set(['at', 'knownAt', 'extra']));
    });

    it('as-of now equals the live read model for every customer of a generated population', async () => {
      const random = mulberry32(20261126);
      const region = uniqueId('prop');
      const ids = Array.from({ length: 30 }, () => uniqueId('pop'));
      const start = Date.parse('2023-06-01T00:00:00Z');
      const items: object[] = [];
      let position = 0;
      for (const [index, customerId] of ids.entries()) {
        const registeredAt = start + Math.floor(random() * 300 * DAY);
        const registered = await register(customerId, { region, occurredAt: iso(registeredAt) });
        position = Math.max(position, registered.position);
        if (index % 6 === 0) continue; // prospects
        let t = registeredAt + Math.floor(random() * 40 * DAY) + 1000;
        const gap = [10, 30, 70, 150, 25][index % 5] * DAY;
        // Follow-ups come up to five days after a purchase, and business time may not be in the future.
        const stop = index % 4 === 0 ? start + 500 * DAY : Date.now() - 7 * DAY;
        let n = 0;
        while (t < stop) {
          const orderId = `${customerId}-o${n}`;
          const amount = Math.round((40 + random() * (index % 3 === 0 ? 3000 : 400)) * 100) / 100;
          items.push(
            buy(customerId, iso(t), amount, { orderId, margin: Math.round(amount * 25) / 100 }),
          );
          if (random() < 0.1) {
            items.push(
              touchpoint(customerId, 'refund', iso(t + DAY), {
                orderId,
                amount: Math.round(amount * 50) / 100,
              }),
            );
          }
          if (random() < 0.2) {
            items.push(
              touchpoint(customerId, 'feedback', iso(t + 2 * DAY), {
                score: 1 + Math.floor(random() * 5),
                channel: 'web',
              }),
            );
          }
          if (random() < 0.1) {
            const complaintId = `${customerId}-c${n}`;
            items.push(
              touchpoint(customerId, 'complaint_opened', iso(t + 3 * DAY), {
                complaintId,
                category: 'delivery',
                channel: 'phone',
              }),
            );
            if (random() < 0.6) {
              items.push(
                touchpoint(customerId, 'complaint_resolved', iso(t + 5 * DAY), {
                  complaintId,
                  resolution: 'refunded shipping',
                  channel: 'phone',
                }),
              );
            }
          }
          t += Math.floor(gap * (0.3 + random() * 1.4)) + 1000;
          n += 1;
        }
      }
      // Business time order, as emitters would send them over the years.
      items.sort(
        (a, b) =>
          Date.parse((a as { occurredAt: string }).occurredAt) -
          Date.parse((b as { occurredAt: string }).occurredAt),
      );
      position = Math.max(position, await record(items));
      await waitForPosition(api.mongo.db, ['profiles'], BigInt(position), 30_000);
      const review = await request(api.http)
        .post('/v1/admin/reviews')
        .set('Authorization', KEYS.admin)
        .send({ asOf: new Date().toISOString() })
        .expect(200);
      expect(review.body.failed).toEqual([]);
      if (review.body.position !== null)
        position = Math.max(position, review.body.position as number);

      const stages = new Set<string>();
      const tiers = new Set<string>();
      for (const customerId of ids) {
        const live = await request(api.http)
          .get(`/v1/profiles/${customerId}`)
          .query({ minPosition: position })
          .set('Authorization', KEYS.auditor)
          .expect(200);
        const folded = await asOf(customerId, { at: new Date().toISOString() }).expect(200);
        const pick = (profile: Record<string, unknown>) => ({
          lifecycle: profile.lifecycle,
          tier: profile.tier,
          quadrant: profile.quadrant,
          account: profile.account,
          spend: profile.spend,
          counts: profile.counts,
          complaints: profile.complaints,
          satisfaction: profile.satisfaction,
          firstPurchaseAt: profile.firstPurchaseAt,
          lastPurchase: profile.lastPurchase,
          name: profile.name,
          email: profile.email,
        });
        expect({ customerId, ...pick(folded.body.profile) }).toEqual({
          customerId,
          ...pick(live.body),
        });
        expect(folded.body.dueTransitions).toEqual([]);
        stages.add(folded.body.stage);
        tiers.add(folded.body.tier);
      }
      // The population is not trivially uniform: several stages and tiers are compared.
      expect(stages.size).toBeGreaterThanOrEqual(3);
      expect(tiers.size).toBeGreaterThanOrEqual(3);
    });
  });

  describe('erasure', () => {
    it('certifies the erasure, and afterwards history marks every personal field as erased', async () => {
      const customerId = uniqueId('erase');
      await register(customerId, { phone: '+44 20 7946 0000' });
      await record([
        buy(customerId, '2025-02-01T10:00:00Z', 80, { note: 'lives next to the bakery' }),
        touchpoint(customerId, 'feedback', '2025-02-02T10:00:00Z', {
          score: 4,
          comment: 'Grace was very kind',
        }),
        touchpoint(customerId, 'visit', '2025-02-03T10:00:00Z'),
      ]);
      const total = (await storedEvents(api.eventStore, customerId)).length;
      const response = await erase(customerId);
      expect(response.status).toBe(201);
      const { certificate } = response.body;
      expect(certificate).toEqual(
        expect.objectContaining({
          certificateId: expect.any(String),
          customerId,
          erasedBy: expect.stringMatching(/^admin:/),
          reason: 'request #17',
          erasedAt: expect.any(String),
          confirmedAt: expect.any(String),
          erasedData: {
            fields: ['comment', 'email', 'name', 'note', 'phone'],
            sealedEvents: 3,
            events: total + 1,
          },
          erasureEvent: expect.objectContaining({ revision: total, position: expect.any(Number) }),
          stream: expect.objectContaining({
            streamId: `customer-${customerId}`,
            lastRevision: total,
          }),
          processes: { confirmed: expect.any(Number), presumedStopped: 0 },
          keyStorage: { compacted: true },
        }),
      );
      expect(certificate.processes.confirmed).toBeGreaterThanOrEqual(1);
      expect(certificate.stream.lastPosition).toBe(certificate.erasureEvent.position);

      const events = (await history(customerId).expect(200)).body.items as Array<{
        type: string;
        data: Record<string, unknown>;
      }>;
      expect(events).toHaveLength(total + 1);
      expect(events[0].data).toEqual(
        expect.objectContaining({ name: '[erased]', email: '[erased]', phone: '[erased]' }),
      );
      expect(events.find((e) => e.type === 'PurchaseRecorded')!.data.note).toBe('[erased]');
      expect(events.find((e) => e.type === 'FeedbackGiven')!.data).toEqual(
        expect.objectContaining({ comment: '[erased]', score: 4 }),
      );
      expect(events.at(-1)).toEqual(
        expect.objectContaining({ type: 'CustomerErased', actor: certificate.erasedBy }),
      );
      expect(JSON.stringify(events)).not.toMatch(/Grace|bakery|example\.com|7946 ?0000/);
    });

    it('drops personal data from the read model and as-of, refuses new personal data with 410, and erases once', async () => {
      const customerId = uniqueId('erase');
      await register(customerId);
      await record([buy(customerId, '2025-02-01T10:00:00Z', 80, { note: 'call after 6pm' })]);
      const first = await erase(customerId).expect(201);
      const position = first.body.certificate.stream.lastPosition as number;

      const profile = await request(api.http)
        .get(`/v1/profiles/${customerId}`)
        .query({ minPosition: position })
        .set('Authorization', KEYS.auditor)
        .expect(200);
      expect(profile.body).toEqual(
        expect.objectContaining({ status: 'erased', personalData: 'erased' }),
      );
      expect(profile.body.name).toBeUndefined();
      expect(profile.body.email).toBeUndefined();
      for (const at of ['2025-01-20T00:00:00Z', new Date().toISOString()]) {
        const past = await asOf(customerId, { at }).expect(200);
        expect(past.body.profile.personalData).toBe('erased');
        expect(past.body.profile.name).toBeUndefined();
      }

      const withNote = await ingest(
        '/v1/touchpoints',
        touchpoint(customerId, 'inquiry', '2025-06-01T10:00:00Z', { note: 'new note' }),
      );
      expect(withNote.status).toBe(410);
      expect(withNote.body.code).toBe('CUSTOMER_ERASED');
      const rename = await request(api.http)
        .patch(`/v1/customers/${customerId}`)
        .set('Authorization', KEYS.ingest)
        .send({ name: 'Someone Else' });
      expect(rename.status).toBe(410);

      const again = await erase(customerId).expect(200);
      expect(again.body.certificate.certificateId).toBe(first.body.certificate.certificateId);
      const erasedEvents = (await storedEvents(api.eventStore, customerId)).filter(
        (e) => e.type === 'CustomerErased',
      );
      expect(erasedEvents).toHaveLength(1);
    });

    it('answers 404 for an unknown customer and creates no key tombstone for it', async () => {
      const missing = uniqueId('nobody');
      expect((await erase(missing)).status).toBe(404);
      const key = await api.mongo.db.collection('customer_keys').findOne({ _id: missing as never });
      expect(key).toBeNull();
    });
  });
});
