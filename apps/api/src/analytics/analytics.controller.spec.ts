import { RequestValidationError } from '../http/validation';
import { FakeBus } from '../testing/fake-bus';
import { refusedFields, validate } from '../testing/dto-validation';
import { routeAccess, waitsForMinPosition } from '../testing/route-access';
import { AnalyticsController } from './analytics.controller';
import {
  ComplaintsDto,
  ContactPressureDto,
  InteractionsDto,
  LifecycleDto,
  MigrationDto,
} from './dto/analytics.dto';
import {
  ComplaintsQuery,
  ContactPressureQuery,
  InteractionsQuery,
} from './queries/interactions.query';
import { LifecycleQuery } from './queries/lifecycle.query';
import { MigrationQuery } from './queries/migration.query';
import { RfmQuery, SatisfactionQuery, SegmentReportQuery } from './queries/segments.query';

const NOW = new Date('2026-06-15T12:00:00Z');
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

describe(AnalyticsController.name, () => {
  let bus: FakeBus;
  let sut: AnalyticsController;

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    bus = new FakeBus();
    bus.answer = (query) => ({ answered: (query as object).constructor.name });
    sut = new AnalyticsController(bus.asQueryBus());
  });
  afterEach(() => jest.useRealTimers());

  it('answers what the query returns', async () => {
    expect(await sut.rfm({})).toEqual({ answered: 'RfmQuery' });
  });

  it('reads a migration between two days (midnight UTC) of one region', async () => {
    await sut.migration({
      dimension: 'tier',
      from: '2025-01-01',
      to: '2026-01-01',
      region: 'north',
    });
    expect({ ...bus.only(MigrationQuery) }).toEqual({
      dimension: 'tier',
      from: day('2025-01-01'),
      to: day('2026-01-01'),
      region: 'north',
    });
  });

  it('refuses a migration date that passes the pattern but is not a real date', () => {
    expect(() =>
      sut.migration({ dimension: 'stage', from: '2025-02-30', to: '2026-13-01' }),
    ).toThrow(RequestValidationError);
    expect(bus.executed).toEqual([]);
  });

  describe('lifecycle', () => {
    it('reports now over the 90 days before, 20 at risk, by default', async () => {
      await sut.lifecycle({});
      const query = bus.only(LifecycleQuery);
      expect(query.at).toEqual(NOW);
      expect(query.to).toEqual(NOW);
      expect(query.from).toEqual(new Date(NOW.getTime() - 90 * 86_400_000));
      expect(query.sample).toBe(20);
    });

    it('ends the period at `at`, and starts it 90 days before `to` when only `to` is given', async () => {
      await sut.lifecycle({ at: '2026-01-01' });
      await sut.lifecycle({ to: '2026-04-01', limit: 5, region: 'south' });
      const [atOnly, toOnly] = bus.executed as LifecycleQuery[];
      expect([atOnly.at, atOnly.to]).toEqual([day('2026-01-01'), day('2026-01-01')]);
      expect(toOnly.from).toEqual(day('2026-01-01'));
      expect([toOnly.at, toOnly.sample, toOnly.region]).toEqual([NOW, 5, 'south']);
    });
  });

  it.each([
    ['valueMatrix', 'quadrant'],
    ['keyAccounts', 'account'],
  ] as const)('%s reports the %s segments at the moment asked', async (route, dimension) => {
    await sut[route]({ at: '2026-02-01', limit: 3, region: 'west' });
    expect({ ...bus.only(SegmentReportQuery) }).toEqual({
      dimension,
      at: day('2026-02-01'),
      sample: 3,
      region: 'west',
    });
  });

  it('reports RFM and satisfaction now, 20 listed, by default', async () => {
    await sut.rfm({});
    await sut.satisfaction({ region: 'east' });
    const [rfm, satisfaction] = bus.executed as [RfmQuery, SatisfactionQuery];
    expect(rfm).toBeInstanceOf(RfmQuery);
    expect(rfm.at).toEqual(NOW);
    expect(satisfaction).toBeInstanceOf(SatisfactionQuery);
    expect({ ...satisfaction }).toEqual({ at: NOW, sample: 20, region: 'east' });
  });

  describe('complaints, interactions and contact pressure', () => {
    it('group by their defaults over an open period', async () => {
      await sut.complaints({});
      await sut.interactions({});
      await sut.contactPressure({});
      const [complaints, interactions, pressure] = bus.executed as [
        ComplaintsQuery,
        InteractionsQuery,
        ContactPressureQuery,
      ];
      const open = { from: undefined, to: undefined, region: undefined };
      expect(complaints).toBeInstanceOf(ComplaintsQuery);
      expect({ ...complaints }).toEqual({ groupBy: ['category'], period: open });
      expect(interactions).toBeInstanceOf(InteractionsQuery);
      expect({ ...interactions }).toEqual({ groupBy: ['channel', 'direction'], period: open });
      expect(pressure).toBeInstanceOf(ContactPressureQuery);
      expect({ ...pressure }).toEqual({ period: open, minDepartments: 2, sample: 20 });
    });

    it('split groupBy at commas and bound the period', async () => {
      await sut.complaints({ groupBy: 'product,region', from: '2026-01-01', to: '2026-02-01' });
      expect({ ...bus.only(ComplaintsQuery) }).toEqual({
        groupBy: ['product', 'region'],
        period: { from: day('2026-01-01'), to: day('2026-02-01'), region: undefined },
      });
    });
  });

  it('is for analysts and auditors (and admins), every route waiting for minPosition', () => {
    const routes = [
      'migration',
      'lifecycle',
      'valueMatrix',
      'keyAccounts',
      'rfm',
      'satisfaction',
      'complaints',
      'interactions',
      'contactPressure',
    ] as const;
    for (const route of routes) {
      expect(routeAccess(AnalyticsController, route)).toEqual(['analyst', 'auditor', 'admin']);
      expect(waitsForMinPosition(AnalyticsController, route)).toBe(true);
    }
  });

  describe('its queries', () => {
    it('take a migration between two instants of a known dimension', async () => {
      const query = { dimension: 'account', from: '2025-01-01T00:00:00Z', to: '2026-01-01' };
      expect(await validate(MigrationDto, query)).toMatchObject({ problems: [] });
    });

    it.each([
      [
        'a migration without dimension',
        MigrationDto,
        { from: '2025-01-01', to: '2026-01-01' },
        'dimension',
      ],
      [
        'a migration of an unknown dimension',
        MigrationDto,
        { dimension: 'mood', from: '2025-01-01', to: '2026-01-01' },
        'dimension',
      ],
      ['a migration without an end', MigrationDto, { dimension: 'tier', from: '2025-01-01' }, 'to'],
      ['a lifecycle at a time without a zone', LifecycleDto, { at: '2026-01-01T10:00' }, 'at'],
      ['a lifecycle listing over 1000', LifecycleDto, { limit: '1001' }, 'limit'],
      [
        'complaints grouped by an interaction-only dimension',
        ComplaintsDto,
        { groupBy: 'direction' },
        'groupBy',
      ],
      [
        'interactions grouped five ways',
        InteractionsDto,
        { groupBy: 'channel,direction,department,week,region' },
        'groupBy',
      ],
      [
        'interactions grouped by an empty name',
        InteractionsDto,
        { groupBy: 'channel,' },
        'groupBy',
      ],
      [
        'contact pressure from one department',
        ContactPressureDto,
        { minDepartments: '1' },
        'minDepartments',
      ],
    ])('refuse %s', async (_what, dto, query, field) => {
      expect(await refusedFields(dto as new () => object, query)).toEqual([field]);
    });
  });
});
