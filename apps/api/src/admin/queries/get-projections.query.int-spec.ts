import { readModelVersions } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { GetProjectionsHandler, GetProjectionsQuery } from './get-projections.query';

describe(GetProjectionsHandler.name, () => {
  let stores: ApiStores;
  let sut: GetProjectionsHandler;
  let projected: bigint;

  beforeAll(async () => {
    stores = await ApiStores.open('projections');
    sut = new GetProjectionsHandler(stores.eventStore, stores.mongo);
    const customerId = uniqueId('proj');
    await stores.register(customerId);
    await stores.touch(customerId, { kind: 'inquiry', occurredAt: '2026-01-02T00:00:00Z' });
    projected = await stores.project(customerId);
  });
  afterAll(() => stores.close());

  it("lists each read model's checkpoint with its lag behind the newest customer event", async () => {
    const view = await sut.execute(new GetProjectionsQuery(false));
    const head = BigInt(view.head!);
    expect(head).toBeGreaterThanOrEqual(projected);
    const names = stores.projections().map((projection) => projection.name);
    expect(view.projections.map((p) => p.name).sort()).toEqual([...names].sort());
    for (const projection of view.projections) {
      expect(projection).toMatchObject({
        state: 'running',
        checkpoint: { commit: projected.toString() },
        lag: { positions: Number(head - projected), events: null },
        caughtUp: head === projected,
        deadLetters: 0,
      });
      expect(projection.lease?.active).toBe(true);
    }
  });

  it('also counts the lag in events when asked to', async () => {
    // One more event, not projected: every read model is at least one event behind.
    const customerId = uniqueId('proj');
    await stores.register(customerId);
    const view = await sut.execute(new GetProjectionsQuery(true));
    for (const projection of view.projections) {
      expect(projection.caughtUp).toBe(false);
      expect(projection.lag.events).toBeGreaterThanOrEqual(1);
    }
  });

  it('lists a rebuild in progress and the versions of read models rebuilt before', async () => {
    const startedAt = new Date('2026-03-01T00:00:00Z');
    await stores.seedCheckpoint('transitions__v3', {
      state: 'catching_up',
      rebuild: { of: 'transitions', version: 3, phase: 'building', startedAt },
    });
    await readModelVersions(stores.mongo.db).switched('transitions', ['transitions'], {
      version: 2,
      events: 40,
      ms: 20,
      eventsPerSecond: 2000,
      position: { commit: projected, prepare: projected },
      kept: ['transitions__v1'],
    });

    const view = await sut.execute(new GetProjectionsQuery(false));

    expect(view.projections.find((p) => p.name === 'transitions__v3')).toMatchObject({
      checkpoint: null,
      rebuild: {
        of: 'transitions',
        version: 3,
        phase: 'building',
        startedAt: startedAt.toISOString(),
      },
    });
    expect(view.readModels).toEqual([
      {
        name: 'transitions',
        live: 2,
        kept: ['transitions__v1'],
        switchedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        lastRebuild: expect.objectContaining({ version: 2, events: 40 }),
      },
    ]);
  });
});
