import { LIFECYCLE_STAGES } from '@app/domain';
import { TimelineCache } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { LifecycleHandler, LifecycleQuery } from './lifecycle.query';

const FROM = new Date('2026-03-01T00:00:00Z');
const TO = new Date('2026-09-01T00:00:00Z');

describe(LifecycleHandler.name, () => {
  let stores: ApiStores;
  let sut: LifecycleHandler;
  const ids = { churned: '', active: '', atRisk: '', prospect: '' };

  /** Registered on 1 January, first purchase on 1 February (new from then), reviewed as of `reviewedAt`. */
  async function buyer(region: string, reviewedAt: string, laterPurchase?: string) {
    const customerId = uniqueId('life');
    await stores.register(customerId, { region }, '2026-01-01T00:00:00Z');
    for (const occurredAt of ['2026-02-01T00:00:00Z', ...(laterPurchase ? [laterPurchase] : [])]) {
      await stores.touch(customerId, {
        kind: 'purchase',
        orderId: uniqueId('o'),
        amount: 100,
        occurredAt,
      });
    }
    await stores.execute(customerId, {
      type: 'ReviewCustomer',
      customerId,
      asOf: reviewedAt,
      now: new Date().toISOString(),
    });
    return customerId;
  }

  beforeAll(async () => {
    stores = await ApiStores.open('lifecycle');
    sut = new LifecycleHandler(stores.mongo, stores.config, new TimelineCache());
    // By 1 September: churned (no purchase since February), active (bought again in August), at risk
    // (reviewed only up to June), and a prospect who never bought.
    ids.churned = await buyer('north', '2026-10-01T00:00:00Z');
    ids.active = await buyer('north', '2026-09-01T00:00:00Z', '2026-08-15T00:00:00Z');
    ids.atRisk = await buyer('west', '2026-06-01T00:00:00Z');
    ids.prospect = uniqueId('life');
    await stores.register(ids.prospect, { region: 'north' }, '2026-01-01T00:00:00Z');
    await stores.project(...Object.values(ids));
  });
  afterAll(() => stores.close());

  const report = (region?: string) => sut.execute(new LifecycleQuery(TO, FROM, TO, 10, region));

  it('counts every stage at the moment asked, naming each stage even when empty', async () => {
    const { distribution } = await report();
    expect(Object.keys(distribution)).toEqual([...LIFECYCLE_STAGES]);
    expect(distribution).toEqual({ prospect: 1, new: 0, active: 1, at_risk: 1, churned: 1 });
  });

  it('measures churn and retention over the customers the business had at the start of the period', async () => {
    const { period } = await report();
    // Prospects are not customers the business can lose: three buyers, one of them churned.
    expect(period).toMatchObject({
      from: FROM.toISOString(),
      to: TO.toISOString(),
      customers: 3,
      churned: 1,
      retained: 2,
      churnRate: 0.333333,
      retentionRate: 0.666667,
    });
    expect(period.flows.new).toMatchObject({ churned: 1, active: 1, at_risk: 1 });
  });

  it('lists the customers at risk now, and keeps to the region asked', async () => {
    expect((await report()).atRisk).toEqual({ customers: 1, sample: [ids.atRisk] });
    const west = await report('west');
    expect(west.distribution).toMatchObject({ at_risk: 1, churned: 0, active: 0, prospect: 0 });
    expect(west.period).toMatchObject({ customers: 1, churned: 0, retained: 1, churnRate: 0 });
  });

  it('a sample of 0 counts the customers at risk and names none (limit=0)', async () => {
    const { atRisk } = await sut.execute(new LifecycleQuery(TO, FROM, TO, 0));
    expect(atRisk).toEqual({ customers: 1, sample: [] });
  });

  it('answers the lifecycle rules it judged by', async () => {
    expect((await report()).rules).toEqual(stores.config.rules.lifecycle);
  });
});
