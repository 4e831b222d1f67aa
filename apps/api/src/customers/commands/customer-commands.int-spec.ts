import { customerStreamId } from '@app/domain';
import { RevisionMismatchError } from '@app/event-store';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { ChangeProfileCommand, ChangeProfileHandler } from './change-profile.command';
import { RegisterCustomerCommand, RegisterCustomerHandler } from './register-customer.command';

describe(RegisterCustomerHandler.name, () => {
  let stores: ApiStores;
  let sut: RegisterCustomerHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('register');
    sut = new RegisterCustomerHandler(stores.customers);
  });
  afterAll(() => stores.close());

  it('appends the registration as the first event, with the personal fields sealed', async () => {
    const customerId = uniqueId('reg');
    const receipt = await sut.execute(
      new RegisterCustomerCommand(
        { customerId, name: 'Ada Lovelace', region: 'north', source: 'shop' },
        stores.context,
      ),
    );
    expect(receipt).toEqual({ customerId, revision: 0, position: expect.any(Number) });
    const [stored] = await collect(stores, customerId);
    expect(stored.type).toBe('CustomerRegistered');
    expect(stored.data).toMatchObject({ customerId, region: 'north' });
    expect(stored.data.name).toMatch(/^enc:v1:/);
    expect(JSON.stringify(stored.data)).not.toContain('shop');
    expect(stored.metadata.actor).toBe('ingest:spec');
  });

  it('refuses a customer that exists already', async () => {
    const customerId = uniqueId('reg');
    await sut.execute(new RegisterCustomerCommand({ customerId }, stores.context));
    await expect(
      sut.execute(new RegisterCustomerCommand({ customerId }, stores.context)),
    ).rejects.toMatchObject({ code: 'CUSTOMER_ALREADY_EXISTS' });
  });
});

describe(ChangeProfileHandler.name, () => {
  let stores: ApiStores;
  let sut: ChangeProfileHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('change');
    sut = new ChangeProfileHandler(stores.customers);
  });
  afterAll(() => stores.close());

  const change = (customerId: string, changes: object, expectedRevision?: number) =>
    sut.execute(new ChangeProfileCommand(customerId, changes, expectedRevision, stores.context));

  it('answers the new revision and the fields that changed, leaving out those already so', async () => {
    const customerId = uniqueId('chg');
    await stores.register(customerId, { region: 'north' });
    const receipt = await change(customerId, { region: 'north', name: 'Ada' });
    expect(receipt).toEqual({
      customerId,
      revision: 1,
      position: expect.any(Number),
      changed: ['name'],
    });
  });

  it('appends nothing for a change to what the profile already says', async () => {
    const customerId = uniqueId('chg');
    await stores.register(customerId, { region: 'north' });
    expect(await change(customerId, { region: 'north' })).toEqual({
      customerId,
      revision: 0,
      position: null,
      changed: [],
    });
  });

  it('refuses a change based on a revision that is no longer current', async () => {
    const customerId = uniqueId('chg');
    await stores.register(customerId);
    await change(customerId, { region: 'east' });
    const stale = change(customerId, { region: 'west' }, 0);
    await expect(stale).rejects.toBeInstanceOf(RevisionMismatchError);
    const events = await collect(stores, customerId);
    expect(events.map((e) => e.type)).toEqual(['CustomerRegistered', 'CustomerProfileChanged']);
  });
});

async function collect(stores: ApiStores, customerId: string) {
  const events = [];
  for await (const event of stores.reader.readStream(customerStreamId(customerId), {
    open: 'sealed',
  })) {
    events.push(event);
  }
  return events;
}
