import { NotFoundException } from '@nestjs/common';
import { customerStreamId } from '@app/domain';
import { isEncrypted } from '@app/event-store';
import { CUSTOMER_KEYS_COLLECTION, KeyErasureWatch, MongoCustomerKeyStore } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import {
  EraseCustomerCommand,
  EraseCustomerHandler,
  type ErasureCertificate,
} from './erase-customer.command';

describe(EraseCustomerHandler.name, () => {
  let stores: ApiStores;
  let watch: KeyErasureWatch<ErasureCertificate>;
  let sut: EraseCustomerHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('erase');
    watch = new KeyErasureWatch(stores.mongo.db, stores.keys, {
      onErased: (ids) => ids.forEach((id) => stores.customers.forget(id)),
    });
    await watch.start();
    sut = new EraseCustomerHandler(stores.customers, stores.keys, watch, stores.reader);
  });
  afterAll(async () => {
    await watch.stop();
    await stores.close();
  });

  const erase = (customerId: string, reason?: string) =>
    sut.execute(new EraseCustomerCommand(customerId, reason, stores.context));

  /** Registered with a name and an e-mail address, then an inquiry with a note: three sealed fields. */
  async function customerWithPersonalData(): Promise<string> {
    const customerId = uniqueId('erase');
    await stores.register(customerId, { name: 'Ada Lovelace', email: 'ada@example.org' });
    await stores.touch(customerId, {
      kind: 'inquiry',
      note: 'asked about her order',
      occurredAt: '2026-01-05T00:00:00Z',
    });
    return customerId;
  }

  it('destroys the key, so the personal fields of every stored event can no longer be opened', async () => {
    const customerId = await customerWithPersonalData();
    const [registeredBefore] = await stores.events(customerId);
    expect(registeredBefore.data.name).toBe('Ada Lovelace');

    await erase(customerId, 'asked to be forgotten');

    // Destroyed in MongoDB, not only dropped from this process's cache: a fresh key store finds a tombstone.
    const elsewhere = new MongoCustomerKeyStore(stores.mongo.db);
    expect((await elsewhere.lookup([customerId])).get(customerId)).toBeNull();
    const [registered, inquiry] = await stores.events(customerId, { erasedAs: '(erased)' });
    expect(registered.data).toMatchObject({ name: '(erased)', email: '(erased)', customerId });
    expect(inquiry.data.note).toBe('(erased)');
    // The events themselves are kept, sealed as they were.
    const [sealed] = await stores.events(customerId, { open: 'sealed' });
    expect(isEncrypted(sealed.data.name)).toBe(true);
  });

  it('appends CustomerErased with the reason, after the events it erases', async () => {
    const customerId = await customerWithPersonalData();
    const before = await stores.events(customerId, { open: 'sealed' });

    await erase(customerId, 'asked to be forgotten');

    const after = await stores.events(customerId, { open: 'sealed' });
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((e) => e.type)).toEqual(['CustomerErased']);
    expect(after.at(-1)!.data).toMatchObject({ customerId, reason: 'asked to be forgotten' });
    expect(after.at(-1)!.metadata.actor).toBe(stores.context.actor);
  });

  it('certifies what was erased: the sealed fields, the erasure event and where the stream ends', async () => {
    const customerId = await customerWithPersonalData();
    const { created, certificate } = await erase(customerId, 'asked to be forgotten');

    const stream = await stores.events(customerId, { open: 'sealed' });
    const erasure = stream.at(-1)!;
    expect(created).toBe(true);
    expect(certificate).toMatchObject({
      customerId,
      erasedBy: stores.context.actor,
      reason: 'asked to be forgotten',
      erasedAt: erasure.data.erasedAt,
      erasedData: {
        fields: ['email', 'name', 'note'],
        sealedEvents: 2,
        events: stream.length,
      },
      erasureEvent: {
        eventId: erasure.metadata.eventId,
        revision: erasure.revision,
        position: Number(erasure.position.commit),
      },
      stream: {
        streamId: customerStreamId(customerId),
        lastRevision: erasure.revision,
        lastPosition: Number(erasure.position.commit),
      },
      processes: { confirmed: 1, presumedStopped: 0 },
    });
    expect(Date.parse(certificate.confirmedAt)).toBeGreaterThanOrEqual(
      Date.parse(certificate.erasedAt),
    );
    // Kept beside the erasure record, for whoever asks again.
    expect(await watch.certificateOf(customerId)).toEqual(certificate);
  });

  it('answers the first certificate again for a customer already erased, appending nothing', async () => {
    const customerId = await customerWithPersonalData();
    const first = await erase(customerId, 'asked to be forgotten');
    const events = (await stores.events(customerId, { open: 'sealed' })).length;

    const again = await erase(customerId, 'asked twice');

    expect(again).toEqual({ created: false, certificate: first.certificate });
    expect(await stores.events(customerId, { open: 'sealed' })).toHaveLength(events);
  });

  it('refuses with 404 a customer with no events, and destroys no key for it', async () => {
    const customerId = uniqueId('nobody');
    await expect(erase(customerId)).rejects.toBeInstanceOf(NotFoundException);
    const keyDocs = stores.mongo.db.collection(CUSTOMER_KEYS_COLLECTION);
    expect(await keyDocs.countDocuments({ _id: customerId as never })).toBe(0);
    expect(await watch.certificateOf(customerId)).toBeUndefined();
  });
});
