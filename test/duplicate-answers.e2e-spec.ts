import { touchpointEventId } from '@app/domain';
import { uniqueId } from '@app/testing';
import { storedEvents } from './support/stored-events';
import { purchase } from './support/touchpoints';
import { type Answer, TwoApiProcesses } from './support/two-api-processes';

/**
 * Emitters retry, and a load balancer spreads the retries over API processes. However many sends of a touchpoint
 * arrive at once, exactly one is answered 201; every other is 200 duplicate with the stored event's id, revision
 * and position, the same the 201 gave; and the stream holds the event once.
 */
describe('one touchpoint, one 201, across API processes', () => {
  const apis = new TwoApiProcesses();

  beforeAll(() => apis.start('dupanswers'), 120_000);
  afterAll(() => apis.stop());

  const visit = (customerId: string) => ({
    touchpointId: uniqueId('tp'),
    source: 'web-shop',
    customerId,
    kind: 'visit',
    occurredAt: '2026-03-02T09:00:00Z',
    channel: 'web',
    direction: 'inbound',
    durationSeconds: 30,
  });
  const eventIdOf = (touchpoint: Record<string, unknown>) =>
    touchpointEventId(touchpoint.source as string, touchpoint.touchpointId as string);

  /**
   * A customer whose stream both processes hold at its current revision, so each decides the next sends against its
   * cached state and appends them expecting the same revision: the race this suite is about.
   */
  async function customerKnownToBoth(): Promise<string> {
    const customerId = uniqueId('cust');
    const [first, second] = [visit(customerId), visit(customerId)];
    expect((await apis.post(0, '/v1/touchpoints', first)).status).toBe(201);
    expect((await apis.post(1, '/v1/touchpoints', second)).status).toBe(201);
    // A duplicate is only answered after reading the stream: process 0 now holds the revision process 1 wrote.
    expect((await apis.post(0, '/v1/touchpoints', second)).status).toBe(200);
    return customerId;
  }

  /** 40 sends of each touchpoint, all at once, alternating between the two processes. */
  function sendAtOnce(touchpoints: Array<Record<string, unknown>>): Promise<Answer[][]> {
    return Promise.all(
      touchpoints.map((touchpoint) =>
        Promise.all(
          Array.from({ length: 40 }, (_, i) => apis.post(i % 2, '/v1/touchpoints', touchpoint)),
        ),
      ),
    );
  }

  function expectOneCreatedPerTouchpoint(
    touchpoints: Array<Record<string, unknown>>,
    answers: Answer[][],
  ): void {
    touchpoints.forEach((touchpoint, t) => {
      const created = answers[t].filter((answer) => answer.status === 201);
      expect([t, created.length]).toEqual([t, 1]);
      const { eventId, revision, position } = created[0].body;
      expect(eventId).toBe(eventIdOf(touchpoint));
      expect(position).toEqual(expect.any(Number));
      for (const answer of answers[t].filter((a) => a !== created[0])) {
        expect([answer.status, answer.body]).toEqual([
          200,
          {
            eventId,
            customerId: touchpoint.customerId,
            revision,
            position,
            duplicate: true,
          },
        ]);
      }
    });
  }

  async function expectStoredOnce(customerId: string, touchpoints: Array<Record<string, unknown>>) {
    const ids = (await storedEvents(apis.eventStore, customerId)).map((event) => event.id);
    for (const touchpoint of touchpoints) {
      expect([touchpoint.touchpointId, ids.filter((id) => id === eventIdOf(touchpoint))]).toEqual([
        touchpoint.touchpointId,
        [eventIdOf(touchpoint)],
      ]);
    }
  }

  it('answers a retry as a duplicate in a process whose cached state is behind the stream', async () => {
    const customerId = uniqueId('cust');
    expect((await apis.post(0, '/v1/touchpoints', visit(customerId))).status).toBe(201);
    const touchpoint = visit(customerId);
    const original = await apis.post(1, '/v1/touchpoints', touchpoint);
    expect(original.status).toBe(201);
    // Process 0 still holds the revision before it: it appends the touchpoint expecting that revision, which the
    // event store takes as an idempotent re-send of process 1's append and answers with success.
    const retry = await apis.post(0, '/v1/touchpoints', touchpoint);
    expect([retry.status, retry.body]).toEqual([200, { ...original.body, duplicate: true }]);
    await expectStoredOnce(customerId, [touchpoint]);
  });

  it('answers 200 parallel sends of 5 touchpoints with exactly 5 201s and 195 duplicates of them', async () => {
    const customerId = await customerKnownToBoth();
    const touchpoints = Array.from({ length: 5 }, () => visit(customerId));
    const answers = await sendAtOnce(touchpoints);
    expect(answers.flat()).toHaveLength(200);
    expect(answers.flat().filter((answer) => answer.status === 201)).toHaveLength(5);
    expectOneCreatedPerTouchpoint(touchpoints, answers);
    await expectStoredOnce(customerId, touchpoints);
  });

  it('does the same for purchases, whose appends carry the tier and stage changes they cause', async () => {
    const customerId = await customerKnownToBoth();
    const touchpoints = Array.from({ length: 5 }, () => purchase({ customerId, amount: 2500 }));
    const answers = await sendAtOnce(touchpoints);
    expectOneCreatedPerTouchpoint(touchpoints, answers);
    await expectStoredOnce(customerId, touchpoints);
  });

  it('does the same for the first touchpoints of a customer no process has seen', async () => {
    const customerId = uniqueId('cust');
    const touchpoints = Array.from({ length: 5 }, () => visit(customerId));
    const answers = await sendAtOnce(touchpoints);
    expectOneCreatedPerTouchpoint(touchpoints, answers);
    await expectStoredOnce(customerId, touchpoints);
    const registrations = (await storedEvents(apis.eventStore, customerId)).filter(
      (event) => event.type === 'CustomerRegistered',
    );
    expect(registrations).toHaveLength(1);
  });

  it('creates each item of batches sent at once through two processes once, the rest duplicates of it', async () => {
    const customerId = await customerKnownToBoth();
    const touchpoints = [
      ...Array.from({ length: 5 }, () => visit(customerId)),
      ...Array.from({ length: 5 }, () => visit(uniqueId('cust'))),
    ];
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        apis.post(i % 2, '/v1/touchpoints/batch', { touchpoints }),
      ),
    );
    type Result = { status: string; eventId: string; revision: number; position: number | null };
    const results = batches.map((batch) => {
      expect(batch.status).toBe(200);
      return batch.body.results as Result[];
    });
    touchpoints.forEach((touchpoint, t) => {
      const items = results.map((batch) => batch[t]);
      const created = items.filter((item) => item.status === 'created');
      expect([t, created.length]).toEqual([t, 1]);
      const { eventId, revision, position } = created[0];
      expect(eventId).toBe(eventIdOf(touchpoint));
      expect(position).toEqual(expect.any(Number));
      const others = items.filter((item) => item !== created[0]);
      expect(others).toEqual(
        others.map(() => ({ index: t, status: 'duplicate', eventId, revision, position })),
      );
    });
    for (const touchpoint of touchpoints) {
      await expectStoredOnce(touchpoint.customerId, [touchpoint]);
    }
  });
});
