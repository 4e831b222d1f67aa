import { type CustomerCommand, type CustomerEvent, DAY_MS, fold, nextReviewAt } from '@app/domain';
import { CUSTOMER, erased, given, OCCURRED_AT } from './customer.fixtures';
import {
  buy,
  day,
  decideAll,
  feedback,
  moves,
  refund,
  registeredEarly,
  review,
  RULES,
  seeded,
  segmentMoves,
} from './policy.fixtures';

describe('ReviewCustomer', () => {
  it('refuses to review an unknown customer: CUSTOMER_NOT_FOUND', () => {
    given()
      .when(review(day(10)))
      .thenThrows('CUSTOMER_NOT_FOUND');
  });

  it('refuses an asOf that is not a timestamp: INVALID_TIMESTAMP', () => {
    given(registeredEarly())
      .when({ ...review(day(10)), asOf: 'soon' } as CustomerCommand)
      .thenThrows('INVALID_TIMESTAMP');
  });

  it('appends nothing for erased or merged customers', () => {
    const { events } = decideAll([buy('o-1', 25000, day(0))]);
    given(...events, erased(day(1)))
      .when(review(day(1000)))
      .then();
    given(...events, {
      type: 'CustomerMerged',
      data: { customerId: CUSTOMER, mergedIntoCustomerId: 'c-2', mergedAt: OCCURRED_AT },
    })
      .when(review(day(1000)))
      .then();
  });

  it('appends nothing when nothing is due', () => {
    given(registeredEarly())
      .when(review(day(1000)))
      .then();
    const { events } = decideAll([buy('o-1', 50, day(0))]);
    given(...events)
      .when(review(day(10)))
      .then();
  });

  it('is idempotent: the same asOf twice appends nothing the second time', () => {
    const { events } = decideAll([buy('o-1', 25000, day(0)), review(day(800))]);
    expect(moves(events, 'TierChanged')).toHaveLength(3);
    given(...events)
      .when(review(day(800)))
      .then();
    given(...events)
      .when(review(day(500)))
      .then();
  });

  it('gives the same history whether reviews run daily, weekly or never before each fact', () => {
    for (const seed of [1, 7, 42]) {
      const facts = generatedFacts(seed, 730);
      const end = day(760);
      const reviewsEvery = (days: number) =>
        Array.from({ length: Math.floor(760 / days) }, (_, i) => review(day((i + 1) * days)));
      const daily = run(facts, reviewsEvery(1), end);
      const weekly = run(facts, reviewsEvery(7.3), end);
      const never = run(facts, [], end);
      expect(weekly).toEqual(daily);
      expect(never).toEqual(daily);
      // The generated history exercises every dimension.
      expect(moves(daily, 'TierChanged').length).toBeGreaterThan(1);
      expect(moves(daily, 'LifecycleStageChanged').length).toBeGreaterThan(2);
      expect(segmentMoves(daily, 'quadrant').length).toBeGreaterThan(1);
    }
  });

  describe('back-dated facts never rewrite history', () => {
    it('judges a back-dated purchase that would have renewed a tier at the drop, and upgrades from there', () => {
      const { events } = decideAll([
        buy('o-1', 1500, day(0)),
        buy('o-2', 100, day(370)), // catches up: silver dropped to basic at day 365
      ]);
      expect(moves(events, 'TierChanged').at(-1)).toEqual([
        'silver',
        'basic',
        'period_end_drop',
        day(365),
      ]);
      const decided = given(...events)
        .when(buy('o-late', 1000, day(360)))
        .decided();
      // Effective at the latest tier transition (day 365), judged on the window ending there.
      expect(moves(decided, 'TierChanged')).toEqual([['basic', 'silver', 'upgrade', day(365)]]);
    });

    it('wins back a churned customer only if the back-dated purchase is still recent at the churn', () => {
      const { events } = decideAll([buy('o-1', 50, day(0)), review(day(200))]);
      expect(moves(events, 'LifecycleStageChanged').at(-1)?.slice(1)).toEqual([
        'churned',
        'no_recent_purchase',
        day(180),
      ]);
      const recent = given(...events)
        .when(buy('o-2', 10, day(120)))
        .decided();
      expect(moves(recent, 'LifecycleStageChanged')).toEqual([
        ['churned', 'active', 'win_back', day(180)],
      ]);
      const stale = given(...events)
        .when(buy('o-2', 10, day(60)))
        .decided();
      expect(moves(stale, 'LifecycleStageChanged')).toEqual([]);
    });

    it('counts a back-dated purchase in the windows judged from then on', () => {
      // Active since day 30 (appended by the purchase at day 40) when the purchase of day 20 arrives.
      const { events } = decideAll([buy('o-1', 1500, day(0)), buy('o-2', 10, day(40))]);
      const tierAtYearEnd = (history: CustomerEvent[]) =>
        moves(
          given(...history)
            .when(review(day(400)))
            .decided(),
          'TierChanged',
        );
      expect(tierAtYearEnd(events)).toEqual([['silver', 'basic', 'period_end_drop', day(365)]]);
      const late = decideAll([buy('o-late', 1000, day(20))], events).events;
      // 1000 + 10 in the window ending at day 365: silver renews.
      expect(tierAtYearEnd(late)).toEqual([]);
    });
  });

  describe('nextReviewAt', () => {
    it('is null for a customer no time-driven rule can move', () => {
      expect(nextReviewAt(fold([registeredEarly()]), RULES)).toBeNull();
      expect(nextReviewAt(fold([registeredEarly(), erased(day(0))]), RULES)).toBeNull();
    });

    it('names the earliest moment a review could append something', () => {
      const { state } = decideAll([buy('o-1', 25000, day(0))]);
      expect(nextReviewAt(state, RULES)).toBe(day(30));
      const after = decideAll([review(day(100))], decideAll([buy('o-1', 25000, day(0))]).events);
      expect(nextReviewAt(after.state, RULES)).toBe(day(180));
    });

    it('skips moments a review has already judged when told how far it ran', () => {
      const { state } = decideAll([
        buy('o-1', 1500, day(0)),
        buy('o-2', 1200, day(300)),
        buy('o-3', 1, day(310)),
      ]);
      // The silver period and the first purchase's window both end at day 365.
      expect(nextReviewAt(state, RULES)).toBe(day(365));
      // A review to day 365 renewed silver without an event; next: at risk 90 days after day 310.
      expect(nextReviewAt(state, RULES, day(365))).toBe(day(400));
    });
  });
});

/** Purchases, refunds and feedback at random moments over `days`, in business-time order. */
function generatedFacts(seed: number, days: number): CustomerCommand[] {
  const random = seeded(seed);
  const facts: CustomerCommand[] = [];
  let at = random() * 5;
  let order = 0;
  while (at < days) {
    order += 1;
    const amount = Math.round(50 + random() ** 3 * 9000);
    facts.push(buy(`o-${order}`, amount, day(at), { margin: Math.round(amount * 0.25) }));
    if (random() < 0.2) facts.push(refund(`o-${order}`, Math.round(amount / 2), day(at + 0.5)));
    if (random() < 0.3)
      facts.push(feedback(`f-${order}`, day(at + 0.7), { score: 1 + Math.floor(random() * 5) }));
    // Mostly close together, sometimes long gaps that make the customer at risk or churned.
    at += random() < 0.15 ? 100 + random() * 200 : 1 + random() * 40;
  }
  return facts;
}

/** The history when `reviews` run between the facts, each at its asOf, and a last review at `end`. */
function run(facts: CustomerCommand[], reviews: CustomerCommand[], end: string): CustomerEvent[] {
  const moment = (command: CustomerCommand) =>
    Date.parse(
      command.type === 'ReviewCustomer'
        ? command.asOf
        : (command as { occurredAt: string }).occurredAt,
    );
  // A review at the same moment as a fact runs first: a fact recorded at T is judged after what was due by T.
  const commands = [...reviews, ...facts].sort(
    (a, b) => moment(a) - moment(b) || (a.type === 'ReviewCustomer' ? -1 : 1),
  );
  const { events } = decideAll([...commands, review(end)]);
  expect(Date.parse(end) - moment(commands[commands.length - 1])).toBeLessThan(400 * DAY_MS);
  return events;
}
