import { NotFoundException } from '@nestjs/common';
import { uniqueId } from '@app/testing';
import { RfmBoundariesService } from '../../analytics/rfm-boundaries.service';
import { ApiStores } from '../../testing/api-stores';
import { GetProfileHandler, GetProfileQuery } from './get-profile.query';
import { ListProfilesHandler, ListProfilesQuery } from './list-profiles.query';

describe(GetProfileHandler.name, () => {
  let stores: ApiStores;
  let sut: GetProfileHandler;
  let customerId: string;

  beforeAll(async () => {
    stores = await ApiStores.open('profile');
    const rfm = new RfmBoundariesService(stores.mongo);
    sut = new GetProfileHandler(stores.mongo, stores.keys, stores.config, rfm);
    customerId = uniqueId('prof');
    await stores.register(customerId, { email: 'jane@example.com', region: 'north' });
    await stores.touch(customerId, {
      kind: 'purchase',
      orderId: 'o1',
      amount: 120,
      occurredAt: new Date(Date.now() - 86_400_000).toISOString(),
    });
    await stores.project(customerId);
  });
  afterAll(() => stores.close());

  it('shows personal data in full to an auditor and masked to an analyst', async () => {
    const full = await sut.execute(new GetProfileQuery(customerId, 'auditor'));
    const masked = await sut.execute(new GetProfileQuery(customerId, 'analyst'));
    expect([full.personalData, full.email]).toEqual(['full', 'jane@example.com']);
    expect(masked.personalData).toBe('masked');
    expect(masked.email).toMatch(/^j\*+@example\.com$/);
  });

  it('counts the spend in the tier window and scores RFM against the population', async () => {
    const view = await sut.execute(new GetProfileQuery(customerId, 'analyst'));
    expect(view.spend.inTierWindow).toEqual({
      windowDays: stores.config.rules.tiers.windowDays,
      amount: 120,
      margin: 0,
    });
    expect(view.orders).toBe(1);
    expect(view.rfm).not.toBeNull();
  });

  it('answers 404 for a customer the read model does not have', async () => {
    await expect(
      sut.execute(new GetProfileQuery(uniqueId('nobody'), 'auditor')),
    ).rejects.toBeInstanceOf(NotFoundException);
  });
});

describe(ListProfilesHandler.name, () => {
  let stores: ApiStores;
  let sut: ListProfilesHandler;
  const ids = ['a', 'b', 'c'].map((suffix) => `${uniqueId('list')}-${suffix}`).sort();

  beforeAll(async () => {
    stores = await ApiStores.open('profile-list');
    const rfm = new RfmBoundariesService(stores.mongo);
    sut = new ListProfilesHandler(stores.mongo, stores.keys, stores.config, rfm);
    await stores.register(ids[0], { name: 'Ann', region: 'north' });
    await stores.register(ids[1], { region: 'south' });
    await stores.register(ids[2], { name: 'Cy', region: 'north' });
    await stores.project(...ids);
  });
  afterAll(() => stores.close());

  it('lists the profiles matching the filter in pages of the limit asked', async () => {
    const first = await sut.execute(
      new ListProfilesQuery({ region: 'north' }, 1, undefined, 'admin'),
    );
    expect(first.items.map((p) => [p.customerId, p.name])).toEqual([[ids[0], 'Ann']]);
    expect(first.next).toBe(ids[0]);
    const second = await sut.execute(
      new ListProfilesQuery({ region: 'north' }, 1, first.next!, 'admin'),
    );
    expect(second.items.map((p) => [p.customerId, p.name])).toEqual([[ids[2], 'Cy']]);
    const end = await sut.execute(new ListProfilesQuery({ region: 'north' }, 1, ids[2], 'admin'));
    expect(end).toEqual({ items: [], next: null });
  });

  it('masks names for an analyst', async () => {
    const page = await sut.execute(new ListProfilesQuery({}, 10, undefined, 'analyst'));
    expect(page.items.map((p) => p.customerId)).toEqual(ids);
    expect(page.items[0].name).not.toBe('Ann');
    expect(page.items[0].personalData).toBe('masked');
  });
});
