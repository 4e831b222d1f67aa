import { uniqueId } from '@app/testing';
import { ApiStores } from '../testing/api-stores';
import { RfmBoundariesService } from './rfm-boundaries.service';

describe(RfmBoundariesService.name, () => {
  let stores: ApiStores;

  beforeAll(async () => {
    stores = await ApiStores.open('rfm-boundaries');
  });
  afterAll(() => stores.close());

  it('keeps the boundaries it computed: a new paying customer does not move them within the minute', async () => {
    const sut = new RfmBoundariesService(stores.mongo);
    const empty = await sut.current();
    const customerId = uniqueId('rfm');
    await stores.register(customerId);
    await stores.touch(customerId, {
      kind: 'purchase',
      orderId: 'o1',
      amount: 999,
      occurredAt: new Date(Date.now() - 86_400_000).toISOString(),
    });
    await stores.project(customerId);
    expect(await sut.current()).toEqual(empty);
    expect(await new RfmBoundariesService(stores.mongo).current()).not.toEqual(empty);
  });
});
