import { uniqueId, testServers } from '@app/testing';
import { type ApiProcess, callApi, startApiProcess } from './support/api-process';

/**
 * Erasure across processes: two API processes share the stores; each has cached the customer's key by reading its
 * history. Once one answers the erasure, the other must already be unable to open anything.
 */
describe('erasure reaches every API process before it is answered', () => {
  let first: ApiProcess;
  let second: ApiProcess;

  beforeAll(async () => {
    const { eventStoreUrl, mongoUrl } = testServers();
    const env = {
      EVENTSTORE_URL: eventStoreUrl,
      MONGODB_URL: mongoUrl,
      MONGODB_DB: uniqueId('erasure').replace(/-/g, '_'),
    };
    [first, second] = await Promise.all([startApiProcess(env), startApiProcess(env)]);
  }, 120_000);

  afterAll(async () => {
    second?.process.kill('SIGCONT');
    await Promise.all([first?.stop(), second?.stop()]);
  });

  const call = (api: ApiProcess, method: string, path: string, key: string, body?: object) =>
    callApi(api, method, path, key, body);

  async function customerWithNote(): Promise<string> {
    const customerId = uniqueId('two');
    const registered = await call(first, 'POST', '/v1/customers', 'dev-ingest', {
      customerId,
      name: 'Ada Byron',
      email: `${customerId}@example.org`,
    });
    expect(registered.status).toBe(201);
    const inquiry = await call(first, 'POST', '/v1/touchpoints', 'dev-ingest', {
      touchpointId: uniqueId('tp'),
      source: 'call-centre',
      customerId,
      kind: 'inquiry',
      occurredAt: '2026-01-05T10:00:00Z',
      channel: 'phone',
      direction: 'inbound',
      note: 'prefers to be called in the evening',
    });
    expect(inquiry.status).toBe(201);
    return customerId;
  }

  const firstEvent = async (api: ApiProcess, customerId: string) => {
    const history = await call(api, 'GET', `/v1/customers/${customerId}/history`, 'dev-auditor');
    expect(history.status).toBe(200);
    return history.body.items!;
  };

  it('the other process opens nothing of the customer from the moment the erasure is answered', async () => {
    const customerId = await customerWithNote();
    // Both processes now hold the key in their caches.
    expect((await firstEvent(first, customerId))[0].data.name).toBe('Ada Byron');
    expect((await firstEvent(second, customerId))[1].data.note).toBe(
      'prefers to be called in the evening',
    );

    const erased = await call(first, 'POST', `/v1/customers/${customerId}/erase`, 'dev-admin');
    expect(erased.status).toBe(201);
    expect(erased.body.certificate!.processes).toEqual({ confirmed: 2, presumedStopped: 0 });

    const events = await firstEvent(second, customerId);
    expect(events[0].data).toEqual(
      expect.objectContaining({ name: '[erased]', email: '[erased]' }),
    );
    expect(events[1].data.note).toBe('[erased]');
    const write = await call(second, 'POST', '/v1/touchpoints', 'dev-ingest', {
      touchpointId: uniqueId('tp'),
      source: 'call-centre',
      customerId,
      kind: 'inquiry',
      occurredAt: '2026-01-06T10:00:00Z',
      channel: 'phone',
      direction: 'inbound',
      note: 'called back',
    });
    expect(write.status).toBe(410);
  });

  it('a paused process does not hold up the erasure for long, and distrusts its cache when it resumes', async () => {
    const customerId = await customerWithNote();
    expect((await firstEvent(second, customerId))[0].data.name).toBe('Ada Byron');

    second.process.kill('SIGSTOP');
    try {
      const started = Date.now();
      const erased = await call(first, 'POST', `/v1/customers/${customerId}/erase`, 'dev-admin');
      const took = Date.now() - started;
      expect(erased.status).toBe(201);
      // The paused process stopped heart-beating: it is presumed stopped once its heartbeat is stale.
      expect(erased.body.certificate!.processes).toEqual({ confirmed: 1, presumedStopped: 1 });
      expect(took).toBeLessThan(5000);
    } finally {
      second.process.kill('SIGCONT');
    }
    // Its key cache expired while it was paused: the first look-up after resuming goes to MongoDB.
    const events = await firstEvent(second, customerId);
    expect(events[0].data.name).toBe('[erased]');
    expect(events[1].data.note).toBe('[erased]');
  });
});
