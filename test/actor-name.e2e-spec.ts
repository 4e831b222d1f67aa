import { createHash } from 'node:crypto';
import request from 'supertest';
import { uniqueId } from '@app/testing';
import { storedEvents } from './support/stored-events';
import { startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

/**
 * Events record who acted as the configured key's role and name. Nothing derived from the secret may appear: a
 * hash of it in every event would let anyone with the event log test guessed keys offline.
 */
describe("events record the key's name as actor, never anything of its secret", () => {
  const tillSecret = 'till7-Secret-0f9a8b7c6d5e4f3a';
  const adminSecret = 'ops-Secret:with:colons-1a2b3c4d';
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({
      CRM_API_KEYS: `ingest:till-7:${tillSecret}, admin:ops.desk:${adminSecret}`,
    });
  });
  afterAll(() => api.close());

  /** Every way the stored text could carry the secret: itself, and hex or base64 digests of it. */
  function tracesOf(secret: string): string[] {
    const traces = [secret];
    for (const algorithm of ['sha256', 'sha1', 'md5']) {
      const digest = createHash(algorithm).update(secret).digest();
      traces.push(digest.toString('hex').slice(0, 8), digest.toString('base64').slice(0, 8));
    }
    return traces;
  }

  it('writes role:name as the actor of touchpoints, registrations and edits', async () => {
    const customerId = uniqueId('actor');
    const as = (secret: string) => `Bearer ${secret}`;
    const registered = await request(api.http)
      .post('/v1/customers')
      .set('Authorization', as(adminSecret))
      .send({ customerId, name: 'Ada Byron' });
    expect(registered.status).toBe(201);
    const recorded = await request(api.http)
      .post('/v1/touchpoints')
      .set('Authorization', as(tillSecret))
      .send(purchase({ customerId }));
    expect(recorded.status).toBe(201);
    const edited = await request(api.http)
      .patch(`/v1/customers/${customerId}`)
      .set('Authorization', as(tillSecret))
      .send({ region: 'north' });
    expect(edited.status).toBe(200);

    const events = await storedEvents(api.eventStore, customerId);
    const [first, ...rest] = events;
    expect([first.type, first.metadata.actor]).toEqual(['CustomerRegistered', 'admin:ops.desk']);
    // The purchase, the transitions it caused, and the edit.
    expect(rest.map((event) => event.type)).toEqual(
      expect.arrayContaining(['PurchaseRecorded', 'TierChanged', 'CustomerProfileChanged']),
    );
    expect(new Set(rest.map((event) => event.metadata.actor))).toEqual(new Set(['ingest:till-7']));
    const stored = JSON.stringify(events);
    for (const trace of [...tracesOf(tillSecret), ...tracesOf(adminSecret)]) {
      expect(stored).not.toContain(trace);
    }
  });

  it("shows the same actor in the auditor's history", async () => {
    const touchpoint = purchase();
    await request(api.http)
      .post('/v1/touchpoints')
      .set('Authorization', `Bearer ${tillSecret}`)
      .send(touchpoint)
      .expect(201);
    const history = await request(api.http)
      .get(`/v1/customers/${touchpoint.customerId as string}/history`)
      .set('Authorization', `Bearer ${adminSecret}`);
    expect(history.status).toBe(200);
    const actors = history.body.items.map((item: { actor: string }) => item.actor);
    expect(actors.length).toBeGreaterThanOrEqual(2);
    expect(new Set(actors)).toEqual(new Set(['ingest:till-7']));
  });
});
