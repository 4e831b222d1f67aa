import { NotFoundException } from '@nestjs/common';
import { customerStreamId } from '@app/domain';
import { isEncrypted } from '@app/event-store';
import {
  AS_OF_SNAPSHOTS_COLLECTION,
  AsOfSnapshotStore,
  CUSTOMER_KEYS_COLLECTION,
  KeyErasureWatch,
  MongoCustomerKeyStore,
} from '@app/read-models';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { asOfFoldVersion } from '../as-of-fold-version';
import { AsOfSnapshots } from '../as-of-snapshots';
import { GetAsOfHandler, GetAsOfQuery } from '../queries/get-as-of.query';
import {
  EraseCustomerCommand,
  EraseCustomerHandler,
  type ErasureCertificate,
} from './erase-customer.command';

describe(EraseCustomerHandler.name, () => {
  let stores: ApiStores;
  let watch: KeyErasureWatch<ErasureCertificate>;
  let sut: EraseCustomerHandler;
  let asOfSnapshots: AsOfSnapshots;

  /** As-of snapshots of an API process, kept in memory and in this suite's MongoDB database. */
  const processSnapshots = () =>
    new AsOfSnapshots({
      persisted: {
        store: new AsOfSnapshotStore(stores.mongo.db),
        foldVersion: asOfFoldVersion(stores.config.rules),
      },
    });

  beforeAll(async () => {
    stores = await ApiStores.open('erase');
    watch = new KeyErasureWatch(stores.mongo.db, stores.keys, {
      onErased: (ids) => ids.forEach((id) => stores.customers.forget(id)),
    });
    asOfSnapshots = processSnapshots();
    watch.onErased((ids) => asOfSnapshots.forgetLater(ids));
    await watch.start();
    sut = new EraseCustomerHandler(
      stores.customers,
      stores.keys,
      watch,
      stores.reader,
      asOfSnapshots,
    );
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

  describe('as-of snapshots', () => {
    const persistedOf = (customerId: string) =>
      stores.mongo.db.collection(AS_OF_SNAPSHOTS_COLLECTION).countDocuments({ customerId });
    const asOf = (snapshots: AsOfSnapshots, customerId: string, at: Date, knownAt = new Date()) =>
      new GetAsOfHandler(stores.reader, stores.keys, stores.config, snapshots).execute(
        new GetAsOfQuery(customerId, at, knownAt, 'auditor'),
      );

    it("deletes the customer's snapshots from MongoDB and from the memory of every process", async () => {
      const customerId = await customerWithPersonalData();
      // Another API process, with its own snapshots and its own erasure watch.
      const other = processSnapshots();
      const otherWatch = new KeyErasureWatch(
        stores.mongo.db,
        new MongoCustomerKeyStore(stores.mongo.db),
      );
      otherWatch.onErased((ids) => other.forgetLater(ids));
      await otherWatch.start();
      try {
        await asOf(asOfSnapshots, customerId, new Date());
        await asOf(other, customerId, new Date());
        await Promise.all([asOfSnapshots.flush(), other.flush()]);
        expect(await persistedOf(customerId)).toBeGreaterThan(0);
        expect(other.usable(customerId, Date.now(), Date.now())).toBeDefined();

        await erase(customerId, 'asked to be forgotten');

        expect(await persistedOf(customerId)).toBe(0);
        expect(asOfSnapshots.usable(customerId, Date.now(), Date.now())).toBeUndefined();
        // The erasure waited for the other process to acknowledge, which it does after dropping its snapshots.
        expect(other.usable(customerId, Date.now(), Date.now())).toBeUndefined();
      } finally {
        await otherWatch.stop();
      }
    });

    it('brings back no personal data in an as-of after the erasure, and stores no snapshot of it', async () => {
      const customerId = await customerWithPersonalData();
      const beforeErasure = new Date();
      expect((await asOf(asOfSnapshots, customerId, beforeErasure)).profile.name).toBe(
        'Ada Lovelace',
      );
      await asOfSnapshots.flush();

      await erase(customerId, 'asked to be forgotten');

      // As of a moment the customer still had a name: from memory, from MongoDB, or from the stream in a new process.
      for (const snapshots of [asOfSnapshots, processSnapshots(), processSnapshots()]) {
        const view = await asOf(snapshots, customerId, beforeErasure);
        expect(JSON.stringify(view)).not.toMatch(/Ada|Lovelace|ada@example/);
        await snapshots.flush();
      }
      expect(await persistedOf(customerId)).toBe(0);
    });
  });
});
