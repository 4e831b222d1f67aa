import { connectEventStore } from '@app/event-store';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { HttpMetrics } from '../http-metrics';
import { GetMetricsHandler } from './get-metrics.query';

/** The value of one sample line of the exposition, or undefined when the series is not there. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe(GetMetricsHandler.name, () => {
  let stores: ApiStores;
  let http: HttpMetrics;
  let sut: GetMetricsHandler;
  let projected: bigint;

  beforeAll(async () => {
    stores = await ApiStores.open('metrics');
    http = new HttpMetrics();
    sut = new GetMetricsHandler(http, stores.eventStore, stores.mongo);
    const customerId = uniqueId('met');
    await stores.register(customerId);
    await stores.touch(customerId, { kind: 'inquiry', occurredAt: '2026-01-02T00:00:00Z' });
    projected = await stores.project(customerId);
  });
  afterAll(() => stores.close());

  it("exposes each read model's figures from its checkpoint document", async () => {
    const text = await sut.execute();
    const of = (name: string) => sample(text, `${name}{projection="profiles"}`);
    expect(of('crm_projection_events_projected_total')).toBe(2);
    expect(of('crm_projection_batches_total')).toBe(1);
    expect(of('crm_projection_checkpoint_position')).toBe(Number(projected));
    expect(of('crm_projection_lag_positions')).toBeGreaterThanOrEqual(0);
    expect(of('crm_projection_dead_letters')).toBe(0);
    expect(of('crm_projection_up')).toBe(1);
    expect(text).toContain('# TYPE crm_projection_events_projected_total counter\n');
    expect(text).toContain('# TYPE crm_projection_lag_positions gauge\n');
  });

  it("puts the API's own request figures first", async () => {
    http.observe('GET', '/v1/profiles/:id', 200, 0.01);
    const text = await sut.execute();
    expect(text.startsWith(http.exposition())).toBe(true);
    expect(
      sample(text, 'http_requests_total{method="GET",route="/v1/profiles/:id",status="200"}'),
    ).toBe(1);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('reports a read model without a live lease as down, and escapes its name in the label', async () => {
    await stores.seedCheckpoint('odd"name');
    const text = await sut.execute();
    expect(sample(text, 'crm_projection_up{projection="odd\\"name"}')).toBe(0);
  });

  it('leaves out the lag rather than failing the scrape when the event store does not answer', async () => {
    const unreachable = connectEventStore('esdb://127.0.0.1:1?tls=false');
    try {
      const cut = new GetMetricsHandler(http, unreachable, stores.mongo);
      const text = await cut.execute();
      expect(sample(text, 'crm_projection_lag_positions{projection="profiles"}')).toBeUndefined();
      expect(sample(text, 'crm_projection_checkpoint_position{projection="profiles"}')).toBe(
        Number(projected),
      );
    } finally {
      await unreachable.dispose();
    }
  });
});
