import { checkpointsCollection } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { RunReviewCommand, RunReviewHandler } from './run-review.command';

describe(RunReviewHandler.name, () => {
  let stores: ApiStores;
  let sut: RunReviewHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('review');
    sut = new RunReviewHandler(stores.customers, stores.eventStore, stores.mongo);
  });
  afterAll(() => stores.close());

  /**
   * Projects the customers, then marks the profiles read model as caught up with any head: suites running beside
   * this one append to the same event store, and the review would otherwise wait for customers its database
   * never projects.
   */
  async function projectAndCatchUp(...customerIds: string[]): Promise<void> {
    await stores.project(...customerIds);
    const beyondAnyHead = (2n ** 62n).toString();
    await checkpointsCollection(stores.mongo.db).updateOne(
      { _id: 'profiles' },
      { $set: { commit: beyondAnyHead, prepare: beyondAnyHead } },
    );
  }

  const read = (customerId: string) => stores.events(customerId, { open: 'sealed' });

  /** Registered on 1 January 2026, one purchase on 1 February: new, then due active and at risk by June. */
  async function buyer(): Promise<string> {
    const customerId = uniqueId('rev');
    await stores.register(customerId, {}, '2026-01-01T00:00:00Z');
    await stores.touch(customerId, {
      kind: 'purchase',
      orderId: 'o1',
      amount: 100,
      occurredAt: '2026-02-01T00:00:00Z',
    });
    return customerId;
  }

  const review = (asOf: string) => sut.execute(new RunReviewCommand(asOf, stores.context));

  it('appends each transition due by asOf, effective when its rule says, and reports them', async () => {
    const customerId = await buyer();
    await projectAndCatchUp(customerId);
    const before = await read(customerId);

    const report = await review('2026-06-01T00:00:00.000Z');

    const appended = (await read(customerId)).slice(before.length);
    const stages = appended.filter((e) => e.type === 'LifecycleStageChanged');
    expect(stages.map((e) => [e.data.to, e.data.effectiveAt])).toEqual([
      ['active', '2026-03-03T00:00:00.000Z'],
      ['at_risk', '2026-05-02T00:00:00.000Z'],
    ]);
    expect(report).toMatchObject({
      asOf: '2026-06-01T00:00:00.000Z',
      changed: 1,
      transitions: appended.length,
      failed: [],
      position: Number(appended.at(-1)!.position.commit),
    });
    expect(report.byType.LifecycleStageChanged).toBe(2);
    expect(appended.every((e) => e.metadata.actor === stores.context.actor)).toBe(true);
  });

  it('appends nothing the second time for the same asOf', async () => {
    const customerId = await buyer();
    await projectAndCatchUp(customerId);
    await review('2026-06-01T00:00:00.000Z');
    await projectAndCatchUp(customerId);
    const events = (await read(customerId)).length;

    const again = await review('2026-06-01T00:00:00.000Z');

    expect(await read(customerId)).toHaveLength(events);
    expect(again).toMatchObject({ changed: 0, transitions: 0, byType: {}, position: null });
  });

  it('leaves alone what is not yet due at asOf, and a prospect with no purchase', async () => {
    const customerId = await buyer();
    const prospect = uniqueId('rev');
    await stores.register(prospect, {}, '2026-01-01T00:00:00Z');
    await projectAndCatchUp(customerId, prospect);
    const [buyerBefore, prospectBefore] = [await read(customerId), await read(prospect)];

    await review('2026-03-15T00:00:00.000Z');

    const appended = (await read(customerId)).slice(buyerBefore.length);
    expect(
      appended.filter((e) => e.type === 'LifecycleStageChanged').map((e) => e.data.to),
    ).toEqual(['active']);
    expect(await read(prospect)).toHaveLength(prospectBefore.length);
  });
});
