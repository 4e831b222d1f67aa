import { TimelineCache } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { MigrationHandler, MigrationQuery } from './migration.query';

describe(MigrationHandler.name, () => {
  let stores: ApiStores;
  let sut: MigrationHandler;
  const before = new Date('2026-01-01T00:00:00Z');

  beforeAll(async () => {
    stores = await ApiStores.open('migration');
    sut = new MigrationHandler(stores.mongo, stores.config, new TimelineCache());
    const [buyer, prospect] = [uniqueId('mig'), uniqueId('mig')];
    await stores.register(buyer, { region: 'north' }, '2026-02-01T00:00:00Z');
    await stores.touch(buyer, {
      kind: 'purchase',
      orderId: 'o1',
      amount: 50,
      occurredAt: '2026-02-02T00:00:00Z',
    });
    await stores.register(prospect, { region: 'south' }, '2026-02-01T00:00:00Z');
    await stores.project(buyer, prospect);
  });
  afterAll(() => stores.close());

  it("lists the tiers in the rules file's order and counts who moved between the two moments", async () => {
    const report = await sut.execute(new MigrationQuery('tier', before, new Date()));
    const tiers = stores.config.rules.tiers.levels.map((level) => level.name);
    expect(report.levels).toEqual(expect.arrayContaining(tiers));
    expect(report.levels.indexOf(tiers[0])).toBeLessThan(report.levels.indexOf(tiers[1]));
    expect(report.matrix.none?.[tiers[0]]).toBe(1);
  });

  it('counts only the region asked for', async () => {
    const report = await sut.execute(new MigrationQuery('stage', before, new Date(), 'south'));
    expect(report.totals.to.prospect).toBe(1);
    expect(report.totals.to.new ?? 0).toBe(0);
  });

  it('answers from its kept timelines as from every bucket, and follows what was projected since', async () => {
    const uncached = async (query: MigrationQuery) =>
      new MigrationHandler(stores.mongo, stores.config, new TimelineCache()).execute(query);
    const tiers = () => new MigrationQuery('tier', before, new Date('2030-01-01T00:00:00Z'));
    expect(await sut.execute(tiers())).toEqual(await uncached(tiers()));
    const late = uniqueId('mig');
    await stores.register(late, { region: 'south' }, '2026-03-01T00:00:00Z');
    await stores.touch(late, {
      kind: 'purchase',
      orderId: 'o2',
      amount: 50,
      occurredAt: '2026-03-02T00:00:00Z',
    });
    await stores.project(late);
    const after = await sut.execute(tiers());
    expect(after).toEqual(await uncached(tiers()));
    expect(after.totals.customers).toBe(2);
  });
});
