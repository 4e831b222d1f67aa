import { Collection, MongoClient } from 'mongodb';
import { uniqueId } from '@app/testing';
import { TOUCHPOINT_IDS_COLLECTION, TouchpointIdStore } from '@app/read-models';

describe(TouchpointIdStore.name, () => {
  let client: MongoClient;
  const database = uniqueId('tpids').replace(/-/g, '_');
  const newStore = () => new TouchpointIdStore(client.db(database));

  beforeAll(async () => {
    client = await new MongoClient(process.env.MONGODB_URL!).connect();
  });
  afterAll(async () => {
    await client.db(database).dropDatabase();
    await client.close();
  });

  it('gives an id to the first customer it is claimed for and names that customer to every later claim', async () => {
    const sut = newStore();
    const eventId = uniqueId('ev');
    expect(await sut.claim([{ eventId, customerId: 'c-1' }])).toEqual(
      new Map([[eventId, { owner: 'c-1', first: true }]]),
    );
    expect(await sut.claim([{ eventId, customerId: 'c-2' }])).toEqual(
      new Map([[eventId, { owner: 'c-1', first: false }]]),
    );
    expect(await newStore().claim([{ eventId, customerId: 'c-1' }])).toEqual(
      new Map([[eventId, { owner: 'c-1', first: false }]]),
    );
  });

  it('lets one customer win an id claimed for several at once through two processes', async () => {
    const [a, b] = [newStore(), newStore()];
    const eventId = uniqueId('ev');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).claim([{ eventId, customerId: `c-${i}` }]),
      ),
    );
    const owners = new Set(answers.map((answer) => answer.get(eventId)!.owner));
    expect(owners.size).toBe(1);
    const [owner] = owners;
    // Only the round that inserted the claim (the calls of one process made together) was first.
    const firstIn = new Set(
      answers.flatMap((answer, i) => (answer.get(eventId)!.first ? [i % 2] : [])),
    );
    expect(firstIn.size).toBe(1);
    expect(
      await client
        .db(database)
        .collection(TOUCHPOINT_IDS_COLLECTION)
        .findOne({ _id: eventId as never }),
    ).toMatchObject({ customerId: owner, sends: expect.any(Number) });
    expect(await a.contested([eventId])).toBe(true);
  });

  it('claims a batch in one call: new ids for their customers, known ones for their owners', async () => {
    const sut = newStore();
    const [known, fresh, twice] = [uniqueId('ev'), uniqueId('ev'), uniqueId('ev')];
    await sut.claim([{ eventId: known, customerId: 'first' }]);
    const owners = await newStore().claim([
      { eventId: known, customerId: 'second' },
      { eventId: fresh, customerId: 'second' },
      { eventId: twice, customerId: 'third' },
      { eventId: twice, customerId: 'fourth' },
    ]);
    expect(Object.fromEntries(owners)).toEqual({
      [known]: { owner: 'first', first: false },
      [fresh]: { owner: 'second', first: true },
      [twice]: { owner: 'third', first: true },
    });
  });

  it('tells whether an id was claimed by more than one send', async () => {
    const [a, b] = [newStore(), newStore()];
    const [alone, twice] = [uniqueId('ev'), uniqueId('ev')];
    await a.claim([
      { eventId: alone, customerId: 'c' },
      { eventId: twice, customerId: 'c' },
    ]);
    expect(await a.contested([alone, twice])).toBe(false);
    await b.claim([{ eventId: twice, customerId: 'c' }]);
    expect(await a.contested([alone])).toBe(false);
    expect(await a.contested([alone, twice])).toBe(true);
  });

  it('writes the claims made while a round is in flight together, in one next round of at most 1 000 ids', async () => {
    const sut = newStore();
    const bulkWrite = jest.spyOn(Collection.prototype, 'bulkWrite');
    try {
      const first = sut.claim([{ eventId: uniqueId('ev'), customerId: 'c' }]);
      while (bulkWrite.mock.calls.length === 0)
        await new Promise((resolve) => setImmediate(resolve));
      const ids = Array.from({ length: 10 }, () => uniqueId('ev'));
      const later = ids.map((eventId) => sut.claim([{ eventId, customerId: 'c' }]));
      const large = Array.from({ length: 995 }, () => uniqueId('ev'));
      const last = sut.claim(large.map((eventId) => ({ eventId, customerId: 'c' })));
      await Promise.all([first, ...later, last]);
      expect(bulkWrite.mock.calls.map(([operations]) => operations.length)).toEqual([1, 10, 995]);
    } finally {
      bulkWrite.mockRestore();
    }
  });
});
