import {
  checkpointsCollection,
  PROFILES_COLLECTION,
  readModelVersions,
  RebuildRunningError,
  UnknownProjectionError,
} from '@app/read-models';
import { uniqueId } from '@app/testing';
import { ApiStores } from '../../testing/api-stores';
import { RebuildProjectionCommand, RebuildProjectionHandler } from './rebuild-projection.command';

async function until(done: () => Promise<boolean>, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(RebuildProjectionHandler.name, () => {
  let stores: ApiStores;
  let sut: RebuildProjectionHandler;

  beforeAll(async () => {
    stores = await ApiStores.open('rebuild', { PROJECTOR_LEASE_MS: '2000' });
    sut = new RebuildProjectionHandler(stores.eventStore, stores.mongo, stores.config);
  });
  afterAll(() => stores.close());

  it('answers a handle at once, then builds the read model from the event log and makes it live', async () => {
    // Written to the event store, never projected: only a rebuild from position zero can know this customer.
    const customerId = uniqueId('rebuild');
    await stores.register(customerId, { region: 'north' }, '2026-01-01T00:00:00Z');
    const { position } = await stores.touch(customerId, {
      kind: 'purchase',
      orderId: 'o1',
      amount: 70,
      occurredAt: '2026-01-02T00:00:00Z',
    });

    const handle = await sut.execute(new RebuildProjectionCommand('profiles'));

    expect(handle).toEqual({
      projection: 'profiles',
      version: 2,
      checkpoint: 'profiles__v2',
      status: '/v1/admin/projections',
    });
    const versions = readModelVersions(stores.mongo.db);
    await until(async () => (await versions.live('profiles')) === 2);
    const profile = await stores.mongo.db
      .collection(PROFILES_COLLECTION)
      .findOne({ _id: customerId as never });
    expect(profile).toMatchObject({
      customerId,
      region: 'north',
      spend: { purchases: 1, lifetime: 70 },
    });
    const live = await checkpointsCollection(stores.mongo.db).findOne({ _id: 'profiles' });
    expect(BigInt(live!.commit!)).toBeGreaterThanOrEqual(BigInt(position!));
    // The rebuild's own checkpoint is gone once the new version is live.
    expect(
      await checkpointsCollection(stores.mongo.db).findOne({ _id: 'profiles__v2' }),
    ).toBeNull();
  });

  it('refuses a second rebuild of the same version while one holds its lease', async () => {
    await stores.seedCheckpoint('interactions__v2', {
      state: 'catching_up',
      lease: { owner: 'another-process', expiresAt: new Date(Date.now() + 60_000) },
    });
    await expect(sut.execute(new RebuildProjectionCommand('interactions'))).rejects.toBeInstanceOf(
      RebuildRunningError,
    );
  });

  it('refuses a read model that does not exist, naming those that do', async () => {
    const refused = sut.execute(new RebuildProjectionCommand('no-such-model'));
    await expect(refused).rejects.toBeInstanceOf(UnknownProjectionError);
    await expect(refused).rejects.toMatchObject({ valid: expect.arrayContaining(['profiles']) });
  });
});
