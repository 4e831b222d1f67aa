import { touchpointEventId } from '@app/domain';
import { TOUCHPOINT_IDS_COLLECTION } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { storedEvents } from './support/stored-events';
import { purchase } from './support/touchpoints';
import { TwoApiProcesses } from './support/two-api-processes';

/**
 * A touchpoint's event id is a UUID of its source and touchpoint id: sent for a second customer, the same pair
 * would put one event id in two streams. The id belongs to the first customer; every later send for another is
 * refused with 409 naming that customer, and stores nothing, whichever of two API processes gets it and however
 * many arrive at once.
 */
describe('a touchpoint id belongs to one customer, across API processes', () => {
  const apis = new TwoApiProcesses();

  beforeAll(() => apis.start('tpreuse'), 120_000);
  afterAll(() => apis.stop());

  const eventIdOf = (touchpoint: Record<string, unknown>) =>
    touchpointEventId(touchpoint.source as string, touchpoint.touchpointId as string);

  /** Every stored event with this id, in the streams of these customers. */
  async function storedWithId(eventId: string, customers: readonly string[]) {
    const streams = await Promise.all(customers.map((id) => storedEvents(apis.eventStore, id)));
    return streams.flatMap((events, i) =>
      events.filter((event) => event.id === eventId).map(() => customers[i]),
    );
  }

  it('answers a send for a second customer with 409 TOUCHPOINT_ID_REUSED naming the first, storing nothing', async () => {
    const [owner, other] = [uniqueId('cust'), uniqueId('cust')];
    const touchpoint = purchase({ customerId: owner });
    expect((await apis.post(0, '/v1/touchpoints', touchpoint)).status).toBe(201);

    const reused = await apis.post(1, '/v1/touchpoints', { ...touchpoint, customerId: other });
    expect(reused.status).toBe(409);
    expect(reused.contentType).toMatch(/^application\/problem\+json/);
    expect(reused.body).toMatchObject({
      status: 409,
      code: 'TOUCHPOINT_ID_REUSED',
      detail: expect.stringContaining(owner),
      details: {
        belongsTo: owner,
        source: touchpoint.source,
        touchpointId: touchpoint.touchpointId,
        eventId: eventIdOf(touchpoint),
      },
    });
    // Not even the prospect the touchpoint would have created.
    expect(await storedEvents(apis.eventStore, other)).toEqual([]);
    // The owner's retries are still duplicates, through either process.
    for (const which of [0, 1]) {
      const retry = await apis.post(which, '/v1/touchpoints', touchpoint);
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ duplicate: true, eventId: eventIdOf(touchpoint) });
    }
    expect(await storedWithId(eventIdOf(touchpoint), [owner, other])).toEqual([owner]);
  });

  it('gives an id sent for 20 customers at once through two processes to exactly one of them', async () => {
    const customers = Array.from({ length: 20 }, () => uniqueId('cust'));
    const touchpoint = purchase();
    const answers = await Promise.all(
      customers.map((customerId, i) =>
        apis.post(i % 2, '/v1/touchpoints', { ...touchpoint, customerId }),
      ),
    );
    const created = answers.filter((answer) => answer.status === 201);
    expect(created).toHaveLength(1);
    const owner = created[0].body.customerId as string;
    const refused = answers.filter((answer) => answer.status !== 201);
    expect(refused.map((answer) => [answer.status, answer.body.code, answer.body.details])).toEqual(
      refused.map(() => [
        409,
        'TOUCHPOINT_ID_REUSED',
        expect.objectContaining({ belongsTo: owner }),
      ]),
    );
    expect(await storedWithId(eventIdOf(touchpoint), customers)).toEqual([owner]);
    const others = customers.filter((id) => id !== owner);
    const streams = await Promise.all(others.map((id) => storedEvents(apis.eventStore, id)));
    expect(streams.flat()).toEqual([]);
  });

  it('rejects the reused item of a batch with TOUCHPOINT_ID_REUSED and stores the others', async () => {
    const [owner, other] = [uniqueId('cust'), uniqueId('cust')];
    const touchpoint = purchase({ customerId: owner });
    expect(
      (await apis.post(0, '/v1/touchpoints/batch', { touchpoints: [touchpoint] })).status,
    ).toBe(200);
    const fresh = purchase({ customerId: other });
    const batch = await apis.post(1, '/v1/touchpoints/batch', {
      touchpoints: [{ ...touchpoint, customerId: other }, touchpoint, fresh],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results).toEqual([
      {
        index: 0,
        status: 'rejected',
        errors: [
          {
            code: 'TOUCHPOINT_ID_REUSED',
            message: expect.stringContaining(owner),
            retryable: false,
          },
        ],
      },
      expect.objectContaining({ index: 1, status: 'duplicate', eventId: eventIdOf(touchpoint) }),
      expect.objectContaining({ index: 2, status: 'created', eventId: eventIdOf(fresh) }),
    ]);
    expect(await storedWithId(eventIdOf(touchpoint), [owner, other])).toEqual([owner]);
    expect(await storedWithId(eventIdOf(fresh), [owner, other])).toEqual([other]);
  });

  it('gives each id of two batches sent at once for different customers to exactly one of them', async () => {
    const touchpoints = Array.from({ length: 20 }, () => purchase());
    const customers = [0, 1].map((which) => touchpoints.map(() => uniqueId(`cust${which}`)));
    const [left, right] = await Promise.all(
      [0, 1].map((which) =>
        apis.post(which, '/v1/touchpoints/batch', {
          touchpoints: touchpoints.map((touchpoint, i) => ({
            ...touchpoint,
            customerId: customers[which][i],
          })),
        }),
      ),
    );
    type Result = { status: string; errors?: Array<{ code: string; message: string }> };
    const results = [left, right].map((answer) => answer.body.results as Result[]);
    for (const [i, touchpoint] of touchpoints.entries()) {
      const statuses = results.map((items) => items[i].status).sort();
      expect([i, statuses]).toEqual([i, ['created', 'rejected']]);
      const winner = results[0][i].status === 'created' ? 0 : 1;
      const owner = customers[winner][i];
      expect(results[1 - winner][i].errors).toEqual([
        expect.objectContaining({
          code: 'TOUCHPOINT_ID_REUSED',
          message: expect.stringContaining(owner),
        }),
      ]);
      expect(await storedWithId(eventIdOf(touchpoint), [customers[0][i], customers[1][i]])).toEqual(
        [owner],
      );
    }
  });

  it('keeps an id claimed by a process that died before appending for that customer alone', async () => {
    const [owner, other] = [uniqueId('cust'), uniqueId('cust')];
    const touchpoint = purchase({ customerId: owner });
    // What a process that stopped between the claim and the append leaves behind: a claim, no event.
    await apis.mongo
      .db(apis.database)
      .collection(TOUCHPOINT_IDS_COLLECTION)
      .insertOne({ _id: eventIdOf(touchpoint) as never, customerId: owner, claimedAt: new Date() });

    const elsewhere = await apis.post(0, '/v1/touchpoints', { ...touchpoint, customerId: other });
    expect([elsewhere.status, elsewhere.body.details]).toEqual([
      409,
      expect.objectContaining({ belongsTo: owner }),
    ]);
    const retried = await apis.post(1, '/v1/touchpoints', touchpoint);
    expect([retried.status, retried.body.duplicate]).toEqual([201, false]);
    expect(await storedWithId(eventIdOf(touchpoint), [owner, other])).toEqual([owner]);
  });
});
