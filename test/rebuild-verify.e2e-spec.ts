import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import request from 'supertest';
import { jsonEvent } from '@eventstore/db-client';
import { loadConfig } from '@app/config';
import { customerStreamId, DEFAULT_POLICY_RULES } from '@app/domain';
import { chainHash } from '@app/event-store';
import {
  COMPLAINTS_COLLECTION,
  customerProjections,
  INTERACTIONS_COLLECTION,
  PROFILES_COLLECTION,
  TRANSITIONS_COLLECTION,
  waitForPosition,
} from '@app/read-models';
import { testServers, uniqueId } from '@app/testing';
import { type RunningProjector, startProjector } from '@apps/projector';
import { storedEvents } from './support/stored-events';
import { KEYS, startTestApi, type TestApi } from './support/test-api';
import { purchase } from './support/touchpoints';

const ROOT = join(__dirname, '..');
const READ_MODELS = ['profiles', 'transitions', 'interactions'];

/** `npm run projections -- …` without the build step: the same entry point, compiled on the fly. */
function projectionsCli(
  database: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { eventStoreUrl, mongoUrl } = testServers();
  const child = spawn(
    process.execPath,
    [
      '-r',
      join(ROOT, 'scripts/register-ts.js'),
      join(ROOT, 'apps/projector/src/projections-cli.ts'),
      ...args,
    ],
    {
      env: {
        ...process.env,
        EVENTSTORE_URL: eventStoreUrl,
        MONGODB_URL: mongoUrl,
        MONGODB_DB: database,
        PROJECTOR_LEASE_MS: '1500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Every read model the projector runs, in its order: what the CLI and the route list as valid names. */
const READ_MODEL_NAMES = customerProjections(DEFAULT_POLICY_RULES)
  .map((projection) => projection.name)
  .join(', ');

describe('rebuilds, verification and tamper evidence', () => {
  let api: TestApi;
  let projector: RunningProjector;
  const customers = Array.from({ length: 5 }, () => uniqueId('aud'));
  let lastPosition = 0;

  const startLiveProjector = () => {
    const { eventStoreUrl, mongoUrl } = testServers();
    const config = loadConfig({
      EVENTSTORE_URL: eventStoreUrl,
      MONGODB_URL: mongoUrl,
      MONGODB_DB: api.database,
      PROJECTOR_BATCH_MS: '20',
      PROJECTOR_LEASE_MS: '1500',
    });
    return startProjector(config, customerProjections(config.rules), { progressEveryMs: 60_000 });
  };

  async function ingest(customerId: string, index: number): Promise<void> {
    const touchpoints = [
      purchase({ customerId, amount: 100 + index, occurredAt: '2026-01-05T10:00:00Z' }),
      purchase({ customerId, amount: 1200, occurredAt: '2026-02-05T10:00:00Z', channel: 'web' }),
      {
        touchpointId: uniqueId('tp'),
        source: 'call-centre',
        customerId,
        kind: 'complaint_opened',
        occurredAt: '2026-02-06T10:00:00Z',
        channel: 'phone',
        direction: 'inbound',
        complaintId: `c-${index}`,
        category: 'delivery',
        severity: 'medium',
      },
    ];
    const response = await request(api.http)
      .post('/v1/touchpoints/batch')
      .set('Authorization', KEYS.ingest)
      .send({ touchpoints })
      .expect(200);
    lastPosition = Math.max(lastPosition, response.body.position as number);
  }

  async function caughtUp(): Promise<void> {
    expect(await waitForPosition(api.mongo.db, READ_MODELS, BigInt(lastPosition), 30_000)).toBe(
      true,
    );
  }

  /** Content hash of the test's customers' documents in every read model. */
  async function contentHash(): Promise<string> {
    const digest = createHash('sha256');
    for (const name of [
      PROFILES_COLLECTION,
      TRANSITIONS_COLLECTION,
      INTERACTIONS_COLLECTION,
      COMPLAINTS_COLLECTION,
    ]) {
      const docs = await api.mongo.db
        .collection(name)
        .find({ customerId: { $in: customers } })
        .sort({ _id: 1 })
        .toArray();
      digest.update(`${name}:${docs.length}:`);
      for (const doc of docs) digest.update(BSON.serialize(doc));
    }
    return digest.digest('hex');
  }

  beforeAll(async () => {
    api = await startTestApi({ CRM_REVIEW_INTERVAL_MINUTES: '0' });
    projector = await startLiveProjector();
    for (const [index, customerId] of customers.entries()) {
      const registered = await request(api.http)
        .post('/v1/customers')
        .set('Authorization', KEYS.ingest)
        .send({
          customerId,
          name: 'Grace Hopper',
          email: `${customerId}@example.com`,
          region: 'north',
          occurredAt: '2025-12-01T00:00:00Z',
        })
        .expect(201);
      lastPosition = Math.max(lastPosition, registered.body.position as number);
      await ingest(customerId, index);
    }
    await caughtUp();
  });

  afterAll(async () => {
    await projector?.stop();
    await api?.close();
  });

  it('every event the API appends is chained, and the customer verifies', async () => {
    const events = await storedEvents(api.eventStore, customers[0]);
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.every((e) => typeof e.metadata.chain === 'string')).toBe(true);
    const response = await request(api.http)
      .get(`/v1/customers/${customers[0]}/verify`)
      .set('Authorization', KEYS.auditor)
      .expect(200);
    expect(response.body).toMatchObject({
      customerId: customers[0],
      ok: true,
      events: events.length,
      chain: { ok: true, chained: events.length, unchained: 0, firstBreak: null },
      readModels: { ok: true, differences: [] },
    });
    const compared = (response.body.readModels.collections as Array<{ compared: number }>).map(
      (c) => c.compared,
    );
    // profile, at least one interval, three interactions, one complaint
    expect(compared.every((n) => n > 0)).toBe(true);
  });

  it.each([
    ['analyst', 403, KEYS.analyst],
    ['ingest', 403, KEYS.ingest],
    ['admin', 200, KEYS.admin],
  ])('the per-customer verify route answers the %s role with %d', async (_role, status, key) => {
    await request(api.http)
      .get(`/v1/customers/${customers[0]}/verify`)
      .set('Authorization', key)
      .expect(status);
  });

  it('rebuild through the admin route: 202 with a handle, progress listed, switched to v2 with the same content, live projector carrying on', async () => {
    const before = await contentHash();
    const started = await request(api.http)
      .post('/v1/admin/projections/profiles/rebuild')
      .set('Authorization', KEYS.admin)
      .expect(202);
    expect(started.body).toEqual({
      projection: 'profiles',
      version: 2,
      checkpoint: 'profiles__v2',
      status: '/v1/admin/projections',
    });
    // A second rebuild of the same read model while the first runs is refused.
    await request(api.http)
      .post('/v1/admin/projections/profiles/rebuild')
      .set('Authorization', KEYS.admin)
      .expect(409);
    // Ingestion goes on during the rebuild.
    await ingest(customers[1], 10);
    let status: { projections: Array<{ name: string; rebuild?: { phase: string } }> } | undefined;
    let seenRebuild = false;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      const response = await request(api.http)
        .get('/v1/admin/projections')
        .set('Authorization', KEYS.admin)
        .expect(200);
      status = response.body;
      if (response.body.projections.some((p: { name: string }) => p.name === 'profiles__v2'))
        seenRebuild = true;
      const profiles = (response.body.readModels as Array<{ name: string; live: number }>).find(
        (r) => r.name === 'profiles',
      );
      if (profiles?.live === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seenRebuild).toBe(true);
    expect(status).toMatchObject({
      readModels: [{ name: 'profiles', live: 2, kept: ['profiles__v1'] }],
    });
    // The rebuild's checkpoint is gone once switched; the live one is the projector's again.
    expect(status!.projections.map((p) => p.name)).not.toContain('profiles__v2');
    const names = (await api.mongo.db.listCollections().toArray()).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['profiles', 'profiles__v1']));
    expect(names).not.toContain('profiles__v2');
    // The live projector took its lease back and goes on writing the new collection.
    await ingest(customers[2], 11);
    await caughtUp();
    expect(await contentHash()).not.toBe(before);
    const profile = await api.mongo.db
      .collection('profiles')
      .findOne({ _id: customers[2] as never });
    expect(profile?.spend).toMatchObject({ purchases: 4 });
    // And what it wrote follows from the events, as does everything else.
    const verified = await projectionsCli(api.database, ['verify', 'profiles']);
    expect(verified.stdout).toContain('OK');
    expect(verified.code).toBe(0);
  });

  it('rebuild through the CLI gives byte-identical documents, with plain progress lines off a terminal', async () => {
    await caughtUp();
    const before = await contentHash();
    const result = await projectionsCli(api.database, ['rebuild', 'transitions']);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/transitions: version 2 is live \(was 1\); \d+ events/);
    expect(result.stdout).not.toContain('\r');
    await caughtUp();
    expect(await contentHash()).toBe(before);
    const dropped = await projectionsCli(api.database, ['drop-old', 'transitions']);
    expect(dropped.stdout).toContain('dropped transitions__v1');
    const names = (await api.mongo.db.listCollections().toArray()).map((c) => c.name);
    expect(names).not.toContain('transitions__v1');
  });

  it('an unknown read model is refused with the valid names (CLI exit 2, route 404)', async () => {
    const result = await projectionsCli(api.database, ['rebuild', 'profils']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `unknown read model 'profils'; valid names: ${READ_MODEL_NAMES}`,
    );
    const response = await request(api.http)
      .post('/v1/admin/projections/profils/rebuild')
      .set('Authorization', KEYS.admin)
      .expect(404);
    expect(response.body.detail).toContain(`valid names: ${READ_MODEL_NAMES}`);
    await request(api.http)
      .post('/v1/admin/projections/profiles/rebuild')
      .set('Authorization', KEYS.auditor)
      .expect(403);
  });

  it('a read-model document altered in MongoDB is caught by verify (CLI and per-customer route)', async () => {
    await caughtUp();
    const victim = customers[3];
    await api.mongo.db
      .collection('profiles')
      .updateOne({ _id: victim as never }, { $set: { 'spend.lifetime': 999_999 } });
    await api.mongo.db
      .collection(COMPLAINTS_COLLECTION)
      .updateOne({ customerId: victim }, { $set: { category: 'pricing' } });
    const result = await projectionsCli(api.database, ['verify', 'profiles']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `DIFFERENCE profiles ${victim} spend.lifetime: live 999999 vs rebuilt`,
    );
    expect(result.stdout).toContain('FAILED');
    const interactions = await projectionsCli(api.database, ['verify', 'interactions']);
    expect(interactions.code).toBe(1);
    expect(interactions.stdout).toContain(
      `DIFFERENCE ${COMPLAINTS_COLLECTION} ${victim}|c-3 category: live "pricing" vs rebuilt "delivery"`,
    );
    const response = await request(api.http)
      .get(`/v1/customers/${victim}/verify`)
      .set('Authorization', KEYS.auditor)
      .expect(200);
    expect(response.body.ok).toBe(false);
    expect(response.body.chain.ok).toBe(true);
    expect(response.body.readModels.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          collection: 'profiles',
          id: victim,
          path: 'spend.lifetime',
          live: 999_999,
        }),
        expect.objectContaining({
          collection: COMPLAINTS_COLLECTION,
          path: 'category',
          live: 'pricing',
          rebuilt: 'delivery',
        }),
      ]),
    );
  });

  it('events forged straight into the store are reported by verify-chain and the per-customer route', async () => {
    const [wrongChain, noChain] = [customers[1], customers[4]];
    const [last] = (await storedEvents(api.eventStore, wrongChain)).slice(-1);
    // Plausible: chained to the real last event, but the amount was changed after hashing.
    const eventId = crypto.randomUUID();
    const data = { ...purchase({ customerId: wrongChain }), amount: 5 };
    const metadata = { ...last.metadata, eventId };
    const chain = chainHash(last.metadata.chain as string, {
      eventId,
      type: 'PurchaseRecorded',
      data,
      metadata,
    });
    await api.eventStore.appendToStream(
      customerStreamId(wrongChain),
      jsonEvent({
        id: eventId,
        type: 'PurchaseRecorded',
        data: { ...data, amount: 50_000 },
        metadata: { ...metadata, chain },
      }),
    );
    await api.eventStore.appendToStream(
      customerStreamId(noChain),
      jsonEvent({
        type: 'PurchaseRecorded',
        data: { ...purchase({ customerId: noChain }) },
        metadata: { ...last.metadata, eventId: crypto.randomUUID(), chain: undefined },
      }),
    );
    const all = await projectionsCli(api.database, ['verify-chain']);
    expect(all.code).toBe(1);
    const wrongRevision = (await storedEvents(api.eventStore, wrongChain)).length - 1;
    expect(all.stdout).toContain(
      `BREAK ${customerStreamId(wrongChain)} at revision ${wrongRevision} (mismatch): expected `,
    );
    expect(all.stdout).toContain(`found ${chain}`);
    expect(all.stdout).toMatch(
      new RegExp(
        `BREAK ${customerStreamId(noChain)} at revision \\d+ \\(missing\\): .* found \\(no chain\\)`,
      ),
    );
    const intact = await projectionsCli(api.database, ['verify-chain', '--customer', customers[0]]);
    expect(intact.code).toBe(0);
    const one = await projectionsCli(api.database, ['verify-chain', '--customer', wrongChain]);
    expect(one.code).toBe(1);
    const response = await request(api.http)
      .get(`/v1/customers/${wrongChain}/verify`)
      .set('Authorization', KEYS.auditor)
      .expect(200);
    expect(response.body).toMatchObject({
      ok: false,
      chain: {
        ok: false,
        firstBreak: { revision: wrongRevision, reason: 'mismatch', found: chain },
      },
    });
  });
});
