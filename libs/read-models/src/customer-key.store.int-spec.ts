import { MongoClient } from 'mongodb';
import { uniqueId } from '@app/testing';
import {
  CUSTOMER_KEYS_COLLECTION,
  CustomerKeyMissingError,
  MongoCustomerKeyStore,
} from '@app/read-models';

describe(MongoCustomerKeyStore.name, () => {
  let client: MongoClient;
  const database = uniqueId('keys').replace(/-/g, '_');

  beforeAll(async () => {
    client = await new MongoClient(process.env.MONGODB_URL!).connect();
  });
  afterAll(async () => {
    await client.db(database).dropDatabase();
    await client.close();
  });

  it('gives every process the same key for a customer, however many ask at once', async () => {
    const [a, b] = [
      new MongoCustomerKeyStore(client.db(database)),
      new MongoCustomerKeyStore(client.db(database)),
    ];
    const customer = uniqueId('c');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).obtain([customer, uniqueId('other')])),
    );
    const keys = answers.map((answer) => answer.get(customer)!.toString('hex'));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toHaveLength(64);
    expect(
      await client
        .db(database)
        .collection(CUSTOMER_KEYS_COLLECTION)
        .countDocuments({ _id: customer as never }),
    ).toBe(1);
  });

  it('hands out the key it stored when it creates one (creation answers without reading back)', async () => {
    const creator = new MongoCustomerKeyStore(client.db(database));
    const customers = [uniqueId('new'), uniqueId('new'), uniqueId('new')];
    const created = await creator.obtain(customers);
    const stored = await client
      .db(database)
      .collection<{ _id: string; key: { buffer: Uint8Array } }>(CUSTOMER_KEYS_COLLECTION)
      .find({ _id: { $in: customers } })
      .toArray();
    expect(stored).toHaveLength(3);
    for (const doc of stored) {
      expect(Buffer.from(doc.key.buffer).toString('hex')).toBe(
        created.get(doc._id)!.toString('hex'),
      );
    }
  });

  it('creates nothing on lookup and answers null after destruction, for good', async () => {
    const sut = new MongoCustomerKeyStore(client.db(database));
    const customer = uniqueId('c');
    expect((await sut.lookup([customer])).has(customer)).toBe(false);
    await sut.obtain([customer]);
    await sut.destroy(customer);
    const fresh = new MongoCustomerKeyStore(client.db(database));
    expect((await fresh.lookup([customer])).get(customer)).toBeNull();
    expect((await fresh.obtain([customer])).get(customer)).toBeNull();
  });

  it('refuses to create a key for a customer whose stream holds sealed data (CUSTOMER_KEY_MISSING), creating nothing', async () => {
    const sut = new MongoCustomerKeyStore(client.db(database));
    const [missing, other] = [uniqueId('c'), uniqueId('c')];
    await expect(sut.obtain([missing, other], { sealed: [missing] })).rejects.toMatchObject({
      code: 'CUSTOMER_KEY_MISSING',
      customerId: missing,
    });
    await expect(sut.obtain([missing], { sealed: [missing] })).rejects.toBeInstanceOf(
      CustomerKeyMissingError,
    );
    const keys = client.db(database).collection(CUSTOMER_KEYS_COLLECTION);
    expect(await keys.countDocuments({ _id: missing as never })).toBe(0);
    // Everyone else is served as before.
    expect((await sut.obtain([uniqueId('c')])).size).toBe(1);
  });

  it('serves an existing key and a destroyed one (null) to a sealed stream, as before', async () => {
    const sut = new MongoCustomerKeyStore(client.db(database));
    const [kept, erased] = [uniqueId('c'), uniqueId('c')];
    const key = (await sut.obtain([kept, erased])).get(kept)!;
    await sut.destroy(erased);
    const fresh = new MongoCustomerKeyStore(client.db(database));
    const answer = await fresh.obtain([kept, erased], { sealed: [kept, erased] });
    expect(answer.get(kept)!.equals(key)).toBe(true);
    expect(answer.get(erased)).toBeNull();
  });

  it('keeps the keys of the customers used most recently, up to its cache size', async () => {
    const sut = new MongoCustomerKeyStore(client.db(database), 2);
    const [early, used, late] = [uniqueId('c'), uniqueId('c'), uniqueId('c')];
    const keys = await sut.obtain([early, used]);
    await sut.lookup([early]);
    await sut.obtain([late]);
    // With the documents gone, only what the cache still holds can answer.
    await client
      .db(database)
      .collection(CUSTOMER_KEYS_COLLECTION)
      .deleteMany({ _id: { $in: [early, used, late] as never[] } });
    const answer = await sut.lookup([early, used, late]);
    expect(answer.get(early)!.equals(keys.get(early)!)).toBe(true);
    expect(answer.has(used)).toBe(false);
    expect(answer.has(late)).toBe(true);
  });
});
