import { CUSTOMER, given } from './customer.fixtures';
import {
  buy,
  day,
  decideAll,
  moves,
  ofType,
  refund,
  registeredEarly,
  review,
  types,
  VERSION,
} from './policy.fixtures';

describe('tier policy', () => {
  it('makes a buyer a basic member at the first purchase, effective at its occurredAt', () => {
    const decided = given(registeredEarly())
      .when(buy('o-1', 120, day(0)))
      .decided();
    expect(types(decided).slice(0, 3)).toEqual([
      'PurchaseRecorded',
      'TierChanged',
      'LifecycleStageChanged',
    ]);
    expect(ofType(decided, 'TierChanged')).toEqual([
      {
        customerId: CUSTOMER,
        from: null,
        to: 'basic',
        reason: 'first_purchase',
        qualifyingAmount: 120,
        ruleVersion: VERSION,
        effectiveAt: day(0),
      },
    ]);
  });

  it('makes a first purchase that qualifies for a higher tier a member at that tier', () => {
    const decided = given(registeredEarly())
      .when(buy('o-1', 6000, day(0)))
      .decided();
    expect(moves(decided, 'TierChanged')).toEqual([['none', 'gold', 'first_purchase', day(0)]]);
  });

  it('does not make an enrolled customer a member again at the first purchase', () => {
    const { events } = decideAll([{ type: 'EnrollMembership', customerId: CUSTOMER, now: day(0) }]);
    const decided = given(...events)
      .when(buy('o-1', 100, day(1)))
      .decided();
    expect(moves(decided, 'TierChanged')).toEqual([]);
  });

  it('upgrades several levels at once to the highest tier the window spend qualifies for', () => {
    const { events } = decideAll([buy('o-1', 500, day(0))]);
    const decided = given(...events)
      .when(buy('o-2', 24000, day(10)))
      .decided();
    expect(ofType(decided, 'TierChanged')).toEqual([
      expect.objectContaining({
        from: 'basic',
        to: 'platinum',
        reason: 'upgrade',
        qualifyingAmount: 24500,
        effectiveAt: day(10),
      }),
    ]);
  });

  it('counts only purchases minus refunds in (T − windowDays, T] towards an upgrade', () => {
    const { events } = decideAll([
      buy('o-1', 800, day(0)),
      buy('o-2', 180, day(300)),
      refund('o-2', 30, day(301)),
    ]);
    expect(moves(events, 'TierChanged')).toEqual([['none', 'basic', 'first_purchase', day(0)]]);
    // At day 365 the 800 of day 0 has left the window: 150 + 60 does not qualify.
    const outside = given(...events)
      .when(buy('o-3', 60, day(365)))
      .decided();
    expect(moves(outside, 'TierChanged')).toEqual([]);
    // Just before, it still counts: 800 + 180 − 30 + 60 = 1010.
    const inside = given(...events)
      .when(buy('o-3', 60, day(364.9)))
      .decided();
    expect(ofType(inside, 'TierChanged')).toEqual([
      expect.objectContaining({ from: 'basic', to: 'silver', qualifyingAmount: 1010 }),
    ]);
  });

  it('renews a tier whose window spend still qualifies at the period end, appending nothing', () => {
    const { events } = decideAll([buy('o-1', 1500, day(0)), buy('o-2', 1200, day(300))]);
    expect(moves(events, 'TierChanged')).toEqual([['none', 'silver', 'first_purchase', day(0)]]);
    const decided = given(...events)
      .when(review(day(500)))
      .decided();
    expect(moves(decided, 'TierChanged')).toEqual([]);
  });

  it('drops exactly one level at the period end, effective at the end, even when the spend qualifies for nothing lower', () => {
    const { events } = decideAll([buy('o-1', 25000, day(0))]);
    const decided = given(...events)
      .when(review(day(366)))
      .decided();
    expect(ofType(decided, 'TierChanged')).toEqual([
      {
        customerId: CUSTOMER,
        from: 'platinum',
        to: 'gold',
        reason: 'period_end_drop',
        qualifyingAmount: 0,
        ruleVersion: VERSION,
        effectiveAt: day(365),
      },
    ]);
  });

  it('drops to the highest tier the spend qualifies for when that is one level down', () => {
    const { events } = decideAll([buy('o-1', 25000, day(0)), buy('o-2', 6000, day(200))]);
    const decided = given(...events)
      .when(review(day(400)))
      .decided();
    expect(moves(decided, 'TierChanged')).toEqual([
      ['platinum', 'gold', 'period_end_drop', day(365)],
    ]);
  });

  it('starts a new period at a drop, so one review appends every drop due by asOf in order', () => {
    const { events } = decideAll([buy('o-1', 25000, day(0))]);
    const decided = given(...events)
      .when(review(day(4 * 365)))
      .decided();
    expect(moves(decided, 'TierChanged')).toEqual([
      ['platinum', 'gold', 'period_end_drop', day(365)],
      ['gold', 'silver', 'period_end_drop', day(730)],
      ['silver', 'basic', 'period_end_drop', day(1095)],
    ]);
  });

  it('anchors the period at the upgrade: a later upgrade starts a new one', () => {
    const { events } = decideAll([buy('o-1', 1500, day(0)), buy('o-2', 4000, day(200))]);
    expect(moves(events, 'TierChanged').map(([, to, , at]) => [to, at])).toEqual([
      ['silver', day(0)],
      ['gold', day(200)],
    ]);
    // At day 365 the gold period has not ended; at day 565 it has, with 4000 in the window.
    const before = given(...events)
      .when(review(day(564.9)))
      .decided();
    expect(moves(before, 'TierChanged')).toEqual([]);
    const decided = given(...events)
      .when(review(day(565)))
      .decided();
    expect(moves(decided, 'TierChanged')).toEqual([
      ['gold', 'silver', 'period_end_drop', day(565)],
    ]);
  });

  it('never expires basic', () => {
    const { events } = decideAll([buy('o-1', 10, day(0))]);
    const decided = given(...events)
      .when(review(day(10 * 365)))
      .decided();
    expect(moves(decided, 'TierChanged')).toEqual([]);
  });

  it('drops an enrolled tier the customer never spent for, one level per period', () => {
    const { events } = decideAll([
      { type: 'EnrollMembership', customerId: CUSTOMER, tier: 'gold', now: day(0) },
    ]);
    expect(moves(events, 'TierChanged')).toEqual([['none', 'gold', 'enrolled', day(0)]]);
    const decided = given(...events)
      .when(review(day(800)))
      .decided();
    expect(moves(decided, 'TierChanged')).toEqual([
      ['gold', 'silver', 'period_end_drop', day(365)],
      ['silver', 'basic', 'period_end_drop', day(730)],
    ]);
  });
});
