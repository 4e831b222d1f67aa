import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT_SEGMENTS, DEFAULT_RULES_INPUT, VALUE_QUADRANTS } from '@app/domain';
import { uniqueId } from '@app/testing';
import { RFM_WINDOW_DAYS } from '../rfm-boundaries.service';
import { ApiStores } from '../../testing/api-stores';
import {
  RfmHandler,
  RfmQuery,
  SatisfactionHandler,
  SatisfactionQuery,
  SegmentReportHandler,
  SegmentReportQuery,
} from './segments.query';

const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

/**
 * Two paying customers and a prospect: a northern one who spent 3000 ten days ago and 8000 four hundred days ago
 * and rates 5, a southern one who spent 50 twenty days ago and rates 1.
 */
async function population(stores: ApiStores) {
  const [north, south, prospect] = [uniqueId('seg'), uniqueId('seg'), uniqueId('seg')];
  await stores.register(north, { region: 'north' }, daysAgo(500));
  await stores.register(south, { region: 'south' }, daysAgo(500));
  await stores.register(prospect, { region: 'north' }, daysAgo(500));
  const purchase = (customerId: string, amount: number, days: number) =>
    stores.touch(customerId, {
      kind: 'purchase',
      orderId: uniqueId('o'),
      amount,
      margin: amount / 2,
      occurredAt: daysAgo(days),
    });
  await purchase(north, 8000, 400);
  await purchase(north, 3000, 10);
  await purchase(south, 50, 20);
  await stores.touch(north, { kind: 'feedback', score: 5, occurredAt: daysAgo(9) });
  await stores.touch(south, { kind: 'feedback', score: 1, occurredAt: daysAgo(19) });
  await stores.project(north, south, prospect);
  return { north, south, prospect };
}

/** A rules file like the default one whose value window is `windowDays`. */
function rulesWithValueWindow(windowDays: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'crm-rules-')), 'rules.json');
  const rules = {
    ...DEFAULT_RULES_INPUT,
    valueMatrix: { ...DEFAULT_RULES_INPUT.valueMatrix, windowDays },
  };
  writeFileSync(path, JSON.stringify(rules));
  return path;
}

describe(SegmentReportHandler.name, () => {
  let stores: ApiStores;
  let sut: SegmentReportHandler;
  let customers: Awaited<ReturnType<typeof population>>;

  beforeAll(async () => {
    stores = await ApiStores.open('segments');
    sut = new SegmentReportHandler(stores.mongo, stores.config);
    customers = await population(stores);
  });
  afterAll(() => stores.close());

  const report = (dimension: 'quadrant' | 'account', region?: string) =>
    sut.execute(new SegmentReportQuery(dimension, new Date(), 10, region));

  it('lists the value quadrants in their order and sums the value of the 365-day window', async () => {
    const quadrants = await report('quadrant');
    expect(quadrants.segments.map((s) => s.level)).toEqual([...VALUE_QUADRANTS]);
    expect(quadrants).toMatchObject({ windowDays: 365, customers: 2, value: 3050 });
    const top = quadrants.segments.flatMap((s) => s.top);
    expect(top).toEqual(
      expect.arrayContaining([
        { customerId: customers.north, value: 3000 },
        { customerId: customers.south, value: 50 },
      ]),
    );
  });

  it('lists the key-account segments for the account matrix, and keeps to the region asked', async () => {
    const accounts = await report('account', 'south');
    expect(accounts.segments.map((s) => s.level)).toEqual([...ACCOUNT_SEGMENTS]);
    expect(accounts).toMatchObject({ customers: 1, value: 50 });
  });

  it("takes the value window from the rules file's value matrix", async () => {
    const narrow = await ApiStores.open('segments-window', {
      CRM_RULES_FILE: rulesWithValueWindow(15),
    });
    try {
      await population(narrow);
      const quadrants = await new SegmentReportHandler(narrow.mongo, narrow.config).execute(
        new SegmentReportQuery('quadrant', new Date(), 10),
      );
      expect(quadrants).toMatchObject({ windowDays: 15, customers: 2, value: 3000 });
    } finally {
      await narrow.close();
    }
  });
});

describe(RfmHandler.name, () => {
  let stores: ApiStores;
  let sut: RfmHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('rfm');
    sut = new RfmHandler(stores.mongo);
    await population(stores);
  });
  afterAll(() => stores.close());

  it('scores the paying customers over the RFM window, every one in one segment and one cell', async () => {
    const { boundaries, segments, grid } = await sut.execute(new RfmQuery(new Date()));
    expect(boundaries).toMatchObject({ windowDays: RFM_WINDOW_DAYS, customers: 2 });
    const inSegments = Object.values(segments).reduce((n, s) => n + s.customers, 0);
    const inGrid = Object.values(grid).flatMap((row) => Object.values(row));
    expect(inSegments).toBe(2);
    expect(inGrid.reduce((n, count) => n + count, 0)).toBe(2);
  });

  it('keeps to the region asked', async () => {
    const { boundaries } = await sut.execute(new RfmQuery(new Date(), 'south'));
    expect(boundaries.customers).toBe(1);
  });
});

describe(SatisfactionHandler.name, () => {
  let stores: ApiStores;
  let sut: SatisfactionHandler;
  let customers: Awaited<ReturnType<typeof population>>;

  beforeAll(async () => {
    stores = await ApiStores.open('satisfaction');
    sut = new SatisfactionHandler(stores.mongo, stores.config);
    customers = await population(stores);
  });
  afterAll(() => stores.close());

  it('describes the most and the least satisfied fifth, spend counted in the value window', async () => {
    const report = await sut.execute(new SatisfactionQuery(new Date(), 5));
    expect(report.rated).toBe(2);
    expect(report.top).toMatchObject({
      customers: 1,
      meanScore: 5,
      meanSpendInWindow: 3000,
      regions: { north: 1 },
      sample: [{ customerId: customers.north, meanScore: 5 }],
    });
    expect(report.bottom).toMatchObject({
      customers: 1,
      meanScore: 1,
      meanSpendInWindow: 50,
      sample: [{ customerId: customers.south, meanScore: 1 }],
    });
  });

  it('keeps to the region asked', async () => {
    const report = await sut.execute(new SatisfactionQuery(new Date(), 5, 'north'));
    expect(report.rated).toBe(1);
    expect(report.top.sample).toEqual([{ customerId: customers.north, meanScore: 5 }]);
  });
});
