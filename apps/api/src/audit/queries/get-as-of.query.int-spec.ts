import { setTimeout as pause } from 'node:timers/promises';
import { NotFoundException } from '@nestjs/common';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { AsOfSnapshots } from '../as-of-snapshots';
import { GetAsOfHandler, GetAsOfQuery } from './get-as-of.query';

describe(GetAsOfHandler.name, () => {
  let stores: ApiStores;
  let sut: GetAsOfHandler;
  let customerId: string;
  /** After the registration and the February purchase were recorded, before the back-dated one was. */
  let knownBeforeCorrection: Date;

  beforeAll(async () => {
    stores = await ApiStores.open('as-of');
    sut = new GetAsOfHandler(stores.reader, stores.keys, stores.config, new AsOfSnapshots());
    customerId = uniqueId('asof');
    await stores.register(customerId, { name: 'Ada Lovelace' }, '2026-01-01T00:00:00Z');
    await stores.touch(customerId, {
      kind: 'purchase',
      orderId: 'feb',
      amount: 1500,
      occurredAt: '2026-02-01T00:00:00Z',
    });
    await pause(20);
    knownBeforeCorrection = new Date();
    await pause(20);
    // Recorded later, but it happened in January: it changes what is known about January.
    await stores.touch(customerId, {
      kind: 'purchase',
      orderId: 'jan',
      amount: 4000,
      occurredAt: '2026-01-20T00:00:00Z',
    });
  });
  afterAll(() => stores.close());

  const asOf = (at: string, knownAt = new Date(), role: 'auditor' | 'analyst' = 'auditor') =>
    sut.execute(new GetAsOfQuery(customerId, new Date(at), knownAt, role));

  it('judges the customer only on the events recorded by knownAt', async () => {
    const known = await asOf('2026-03-01T00:00:00Z', knownBeforeCorrection);
    expect(known.eventsRecordedLater).toBeGreaterThan(0);
    expect(known.profile.orders).toBe(1);
    expect(known.tier).toBe('silver');

    const now = await asOf('2026-03-01T00:00:00Z');
    expect(now.eventsRecordedLater).toBe(0);
    expect(now.profile.orders).toBe(2);
    expect(now.tier).toBe('gold');
    expect(now.eventsApplied).toBeGreaterThan(known.eventsApplied);
  });

  it('leaves out what happened after the business time asked for, however early it was recorded', async () => {
    const view = await asOf('2026-01-25T00:00:00Z');
    expect(view.profile.orders).toBe(1);
    expect(view.eventsOccurredLater).toBeGreaterThan(0);
    expect(view).toMatchObject({
      customerId,
      at: '2026-01-25T00:00:00.000Z',
      eventsRecordedLater: 0,
    });
  });

  it('applies the transitions due by then that no review had appended', async () => {
    // Last purchase on 1 February: active 30 days after becoming new, at risk 90 days after it.
    const view = await asOf('2026-06-01T00:00:00Z');
    const stages = view.dueTransitions
      .filter((event) => event.type === 'LifecycleStageChanged')
      .map((event) => event.data.to);
    expect(stages).toEqual(['active', 'at_risk']);
    expect(view.stage).toBe('at_risk');
  });

  it('opens personal data for an auditor and masks it for an analyst', async () => {
    expect((await asOf('2026-03-01T00:00:00Z', new Date(), 'auditor')).profile.name).toBe(
      'Ada Lovelace',
    );
    const masked = await asOf('2026-03-01T00:00:00Z', new Date(), 'analyst');
    expect(masked.profile.personalData).toBe('masked');
    expect(masked.profile.name).not.toBe('Ada Lovelace');
  });

  it('answers 404 before the customer existed, and before anything about it was recorded', async () => {
    await expect(asOf('2025-12-31T00:00:00Z')).rejects.toBeInstanceOf(NotFoundException);
    await expect(asOf('2026-03-01T00:00:00Z', new Date('2020-01-01'))).rejects.toBeInstanceOf(
      NotFoundException,
    );
  });

  describe('resumed from a snapshot of an earlier fold', () => {
    /** A handler with nothing cached: the answer a query gets from the stream's start. */
    const cold = (query: GetAsOfQuery) =>
      new GetAsOfHandler(stores.reader, stores.keys, stores.config, new AsOfSnapshots()).execute(
        query,
      );

    /** A customer registered in January with a purchase on each of `months` (ISO month starts). */
    async function customerBuying(months: string[]) {
      const id = uniqueId('asof-snap');
      const snapshots = new AsOfSnapshots();
      const warm = new GetAsOfHandler(stores.reader, stores.keys, stores.config, snapshots);
      await stores.register(id, {}, '2026-01-01T00:00:00Z');
      for (const month of months) await purchase(id, month);
      return { id, snapshots, warm };
    }
    const purchase = (id: string, month: string) =>
      stores.touch(id, {
        kind: 'purchase',
        orderId: month,
        amount: 10,
        occurredAt: `${month}-01T00:00:00Z`,
      });

    it('answers every moment and every knownAt exactly as a fold from the start does', async () => {
      const id = uniqueId('asof-snap');
      const snapshots = new AsOfSnapshots({ every: 3 });
      const warm = new GetAsOfHandler(stores.reader, stores.keys, stores.config, snapshots);
      await stores.register(id, { name: 'Grace Hopper' }, '2026-01-01T00:00:00Z');
      for (let month = 2; month <= 9; month += 1) {
        await stores.touch(id, {
          kind: 'purchase',
          orderId: `o${month}`,
          amount: 900,
          occurredAt: `2026-0${month}-01T00:00:00Z`,
        });
      }
      const knownBeforeBackfill = new Date();
      await pause(20);
      // Recorded last, effective in January: no snapshot taken so far covers a query that includes it.
      await stores.touch(id, {
        kind: 'purchase',
        orderId: 'backfill',
        amount: 5000,
        occurredAt: '2026-01-15T00:00:00Z',
      });
      const queries = [
        ['2026-12-01T00:00:00Z', new Date()],
        ['2026-12-01T00:00:00Z', knownBeforeBackfill],
        ['2026-05-15T00:00:00Z', new Date()],
        ['2026-05-15T00:00:00Z', knownBeforeBackfill],
        ['2026-01-20T00:00:00Z', new Date()],
        ['2026-12-01T00:00:00Z', new Date()],
      ] as const;
      for (const [at, knownAt] of queries) {
        const query = new GetAsOfQuery(id, new Date(at), knownAt, 'auditor');
        expect(await warm.execute(query)).toEqual(await cold(query));
      }
      // The folds that left nothing out left snapshots every 3 revisions: before the backfill, one of those.
      const kept = snapshots.usable(
        id,
        Date.parse('2026-12-01T00:00:00Z'),
        knownBeforeBackfill.getTime(),
      );
      expect(kept?.revision).toBeGreaterThanOrEqual(2);
      expect((kept!.revision + 1) % 3).toBe(0);
    });

    it('reads what was appended after the snapshot it starts from', async () => {
      const { id, snapshots, warm } = await customerBuying(['2026-02']);
      const first = await warm.execute(new GetAsOfQuery(id, new Date(), new Date(), 'auditor'));
      const tip = snapshots.usable(id, Date.now(), Date.now());
      expect(tip?.eventsApplied).toBe(first.eventsApplied);
      await purchase(id, '2026-03');
      const query = new GetAsOfQuery(id, new Date(), new Date(), 'auditor');
      const second = await warm.execute(query);
      expect(second.profile.orders).toBe(2);
      expect(second).toEqual(await cold(query));
      expect(snapshots.usable(id, Date.now(), Date.now())!.revision).toBeGreaterThan(tip!.revision);
    });

    it('does not start from a snapshot that holds events after the business time asked for', async () => {
      const { id, snapshots, warm } = await customerBuying(['2026-02', '2026-04']);
      await warm.execute(new GetAsOfQuery(id, new Date(), new Date(), 'auditor'));
      expect(snapshots.usable(id, Date.parse('2026-03-01T00:00:00Z'), Date.now())).toBeUndefined();
      const march = await warm.execute(
        new GetAsOfQuery(id, new Date('2026-03-01T00:00:00Z'), new Date(), 'auditor'),
      );
      expect(march.profile.orders).toBe(1);
    });
  });
});
