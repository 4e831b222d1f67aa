import request from 'supertest';
import { CUSTOMER_STREAM_PREFIX, upcast } from '@app/domain';
import { StreamReader } from '@app/event-store';
import { ProjectionRunner, waitForPosition } from '@app/read-models';
import { countingProjection, uniqueId } from '@app/testing';
import { KEYS, startTestApi, type TestApi } from './support/test-api';

describe('read-side administration: GET /v1/admin/projections, GET /metrics, minPosition', () => {
  let api: TestApi;
  let runner: ProjectionRunner;

  beforeAll(async () => {
    api = await startTestApi({ CRM_MIN_POSITION_WAIT_MS: '300' });
    const reader = new StreamReader(api.eventStore, { upcast });
    runner = new ProjectionRunner({
      db: api.mongo.db,
      owner: 'e2e-projector',
      projections: [countingProjection('counts')],
      source: (after) =>
        reader.subscribe({ prefix: CUSTOMER_STREAM_PREFIX, afterPosition: after, open: 'sealed' }),
      batchMs: 20,
    });
    await runner.start();
  });
  afterAll(async () => {
    await runner.stop();
    await api.close();
  });

  async function register(): Promise<string> {
    const response = await request(api.http)
      .post('/v1/customers')
      .set('Authorization', KEYS.ingest)
      .send({ customerId: uniqueId('adm'), name: 'Ada' })
      .expect(201);
    return String((response.body as { position: number }).position);
  }

  it('shows admins each read model with checkpoint, lag, state, lease and dead letters', async () => {
    const position = await register();
    // This API answers 503 after 300 ms (for the test below); a loaded machine may need longer to catch up.
    expect(await waitForPosition(api.mongo.db, ['counts'], BigInt(position), 45_000)).toBe(true);
    const response = await request(api.http)
      .get(`/v1/admin/projections?minPosition=${position}`)
      .set('Authorization', KEYS.admin)
      .expect(200);
    const body = response.body as { head: string; projections: Array<Record<string, unknown>> };
    expect(BigInt(body.head)).toBeGreaterThanOrEqual(BigInt(position));
    expect(body.projections).toEqual([
      expect.objectContaining({
        name: 'counts',
        state: expect.stringMatching(/^(running|catching_up)$/),
        checkpoint: {
          commit: expect.stringMatching(/^\d+$/),
          prepare: expect.stringMatching(/^\d+$/),
        },
        lag: { positions: expect.any(Number), events: expect.any(Number) },
        eventsProjected: expect.any(Number),
        lease: expect.objectContaining({ owner: 'e2e-projector', active: true }),
        deadLetters: 0,
      }),
    ]);
    const [counts] = body.projections as Array<{ checkpoint: { commit: string } }>;
    expect(BigInt(counts.checkpoint.commit)).toBeGreaterThanOrEqual(BigInt(position));
  });

  it('refuses analysts (403) and callers without a key (401)', async () => {
    await request(api.http)
      .get('/v1/admin/projections')
      .set('Authorization', KEYS.analyst)
      .expect(403);
    await request(api.http).get('/v1/admin/projections').expect(401);
  });

  it('answers 503 with Retry-After when the read models do not reach minPosition in time', async () => {
    const position = await register();
    const ahead = (BigInt(position) + 10n ** 15n).toString();
    const started = Date.now();
    const response = await request(api.http)
      .get(`/v1/admin/projections?minPosition=${ahead}`)
      .set('Authorization', KEYS.admin)
      .expect(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      status: 503,
      code: 'READ_MODEL_BEHIND',
      details: { minPosition: ahead },
    });
  });

  it('answers 400 for a minPosition that is not a non-negative integer', async () => {
    for (const bad of ['-1', 'abc', '1.5', '99999999999999999999999']) {
      const response = await request(api.http)
        .get(`/v1/admin/projections?minPosition=${bad}`)
        .set('Authorization', KEYS.admin)
        .expect(400);
      expect(response.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [expect.objectContaining({ field: 'minPosition' })],
      });
    }
  });

  it('serves Prometheus metrics without a key: requests per route and status, and the projector figures', async () => {
    await request(api.http)
      .get('/v1/admin/projections')
      .set('Authorization', KEYS.analyst)
      .expect(403);
    const response = await request(api.http).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.text;
    expect(text).toMatch(
      /^http_requests_total\{method="GET",route="\/v1\/admin\/projections",status="403"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(
      /^http_request_duration_seconds_bucket\{method="POST",route="\/v1\/customers",status="201",le="\+Inf"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
    expect(text).toMatch(
      /^crm_projection_events_projected_total\{projection="counts"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(/^crm_projection_batches_total\{projection="counts"\} [1-9]\d*$/m);
    expect(text).toMatch(/^crm_projection_last_batch_size\{projection="counts"\} \d+$/m);
    expect(text).toMatch(/^crm_projection_lag_positions\{projection="counts"\} \d+$/m);
    expect(text).toMatch(/^crm_projection_dead_letters\{projection="counts"\} 0$/m);
  });
});
