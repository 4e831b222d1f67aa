import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import {
  ComplaintsHandler,
  ComplaintsQuery,
  ContactPressureHandler,
  ContactPressureQuery,
  InteractionsHandler,
  InteractionsQuery,
} from './interactions.query';

/** March 2026, when every touchpoint below happened but the April one. */
const MARCH = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z') };

/**
 * Two customers in March: the first reached by sales and support in the week of 9 March and calling once about a
 * billing complaint resolved on first contact; the second reached by sales only, complaining about delivery (still
 * open), and calling again in April.
 */
async function contactsInMarch(stores: ApiStores): Promise<[string, string]> {
  const [pressed, other] = [uniqueId('ia'), uniqueId('ia')];
  for (const customerId of [pressed, other]) await stores.register(customerId, { region: 'north' });
  const outbound = (customerId: string, department: string, occurredAt: string) =>
    stores.touch(customerId, {
      kind: 'marketing_contact',
      channel: 'email',
      direction: 'outbound',
      department,
      occurredAt,
    });
  await outbound(pressed, 'sales', '2026-03-09T10:00:00Z');
  await outbound(pressed, 'support', '2026-03-11T10:00:00Z');
  await outbound(other, 'sales', '2026-03-10T10:00:00Z');
  await outbound(other, 'sales', '2026-03-17T10:00:00Z');
  const complaint = (customerId: string, complaintId: string, category: string) =>
    stores.touch(customerId, {
      kind: 'complaint_opened',
      complaintId,
      category,
      severity: 'high',
      channel: 'phone',
      occurredAt: '2026-03-12T09:00:00Z',
    });
  await complaint(pressed, 'c1', 'billing');
  await stores.touch(pressed, {
    kind: 'complaint_resolved',
    complaintId: 'c1',
    resolution: 'refunded',
    satisfied: true,
    channel: 'phone',
    occurredAt: '2026-03-12T15:00:00Z',
  });
  await complaint(other, 'c2', 'delivery');
  await stores.touch(other, {
    kind: 'inquiry',
    channel: 'phone',
    occurredAt: '2026-04-02T09:00:00Z',
  });
  await stores.project(pressed, other);
  return [pressed, other];
}

describe(InteractionsHandler.name, () => {
  let stores: ApiStores;
  let sut: InteractionsHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('interactions');
    sut = new InteractionsHandler(stores.mongo);
    await contactsInMarch(stores);
  });
  afterAll(() => stores.close());

  it('counts the touchpoints and customers of each group in the period', async () => {
    const rows = await sut.execute(new InteractionsQuery(['channel', 'direction'], MARCH));
    const byGroup = Object.fromEntries(
      rows.map((row) => [[row.group.channel, row.group.direction].join('/'), row]),
    );
    expect(byGroup['email/outbound']).toMatchObject({ touchpoints: 4, customers: 2 });
    expect(byGroup['phone/inbound']).toMatchObject({ touchpoints: 3, customers: 2 });
    // Direction does not describe complaints: no complaint measures.
    expect(byGroup['phone/inbound']).not.toHaveProperty('complaints');
  });

  it('adds the complaint measures when every dimension also describes complaints', async () => {
    const rows = await sut.execute(new InteractionsQuery(['channel'], MARCH));
    expect(rows.find((row) => row.group.channel === 'phone')).toMatchObject({
      touchpoints: 3,
      complaints: 2,
      firstContactResolution: 0.5,
    });
    expect(rows.find((row) => row.group.channel === 'email')).toMatchObject({ complaints: 0 });
  });

  it('leaves out what happened outside the period and the region', async () => {
    const april = { from: MARCH.to, to: new Date('2026-05-01T00:00:00Z') };
    const rows = await sut.execute(new InteractionsQuery(['channel'], april));
    expect(rows.map((row) => [row.group.channel, row.touchpoints])).toEqual([['phone', 1]]);
    expect(await sut.execute(new InteractionsQuery(['channel'], { region: 'south' }))).toEqual([]);
  });
});

describe(ComplaintsHandler.name, () => {
  let stores: ApiStores;
  let sut: ComplaintsHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('complaints');
    sut = new ComplaintsHandler(stores.mongo);
    await contactsInMarch(stores);
  });
  afterAll(() => stores.close());

  it('measures the complaints of each group: resolved, first-contact, satisfaction after', async () => {
    const rows = await sut.execute(new ComplaintsQuery(['category'], MARCH));
    const byCategory = Object.fromEntries(rows.map((row) => [row.group.category, row]));
    expect(byCategory.billing).toMatchObject({
      complaints: 1,
      resolved: 1,
      firstContactResolution: 1,
      meanHoursToResolve: 6,
      satisfiedShare: 1,
    });
    expect(byCategory.delivery).toMatchObject({
      complaints: 1,
      resolved: 0,
      meanHoursToResolve: null,
      satisfiedShare: null,
    });
  });

  it('counts a complaint in the period it was opened in', async () => {
    const april = { from: MARCH.to };
    expect(await sut.execute(new ComplaintsQuery(['severity'], april))).toEqual([]);
    const all = await sut.execute(new ComplaintsQuery(['severity'], {}));
    expect(all.map((row) => [row.group.severity, row.complaints])).toEqual([['high', 2]]);
  });
});

describe(ContactPressureHandler.name, () => {
  let stores: ApiStores;
  let sut: ContactPressureHandler;
  let pressed: string;

  beforeAll(async () => {
    stores = await ApiStores.open('pressure');
    sut = new ContactPressureHandler(stores.mongo);
    [pressed] = await contactsInMarch(stores);
  });
  afterAll(() => stores.close());

  it('names the customers reached by at least that many departments in one week', async () => {
    const weeks = await sut.execute(new ContactPressureQuery(MARCH, 2, 10));
    expect(weeks).toEqual([
      {
        week: expect.any(String),
        customers: 1,
        sample: [{ customerId: pressed, departments: ['sales', 'support'] }],
      },
    ]);
  });

  it('finds no one when asked for more departments than reached anyone, or another period', async () => {
    expect(await sut.execute(new ContactPressureQuery(MARCH, 3, 10))).toEqual([]);
    const april = { from: MARCH.to, to: new Date('2026-05-01T00:00:00Z') };
    expect(await sut.execute(new ContactPressureQuery(april, 2, 10))).toEqual([]);
  });

  it('counts every customer of the week but samples only as many as asked', async () => {
    const weeks = await sut.execute(new ContactPressureQuery(MARCH, 1, 1));
    const busiest = weeks.find((week) => week.customers === 2)!;
    expect(busiest.sample).toHaveLength(1);
  });
});
