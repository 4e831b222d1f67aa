import { CUSTOMER, given } from './customer.fixtures';
import {
  buy,
  day,
  decideAll,
  moves,
  ofType,
  registeredEarly,
  review,
  VERSION,
} from './policy.fixtures';

describe('lifecycle policy', () => {
  it('makes a buyer new at the first purchase, with the rule version', () => {
    const decided = given(registeredEarly())
      .when(buy('o-1', 50, day(0)))
      .decided();
    expect(ofType(decided, 'LifecycleStageChanged')).toEqual([
      {
        customerId: CUSTOMER,
        from: null,
        to: 'new',
        reason: 'first_purchase',
        ruleVersion: VERSION,
        effectiveAt: day(0),
      },
    ]);
  });

  it('makes a new customer active newForDays after the first purchase, not when the review runs', () => {
    const { events } = decideAll([buy('o-1', 50, day(0))]);
    expect(
      moves(
        given(...events)
          .when(review(day(29.9)))
          .decided(),
        'LifecycleStageChanged',
      ),
    ).toEqual([]);
    expect(
      moves(
        given(...events)
          .when(review(day(45)))
          .decided(),
        'LifecycleStageChanged',
      ),
    ).toEqual([['new', 'active', 'new_period_ended', day(30)]]);
  });

  it('makes an active customer at_risk atRiskAfterDays and churned churnedAfterDays after the last purchase', () => {
    const { events } = decideAll([buy('o-1', 50, day(0)), buy('o-2', 50, day(40))]);
    const decided = given(...events)
      .when(review(day(400)))
      .decided();
    // The purchase at day 40 first appended what was due: active at day 30.
    expect(moves(events, 'LifecycleStageChanged').at(-1)).toEqual([
      'new',
      'active',
      'new_period_ended',
      day(30),
    ]);
    expect(moves(decided, 'LifecycleStageChanged')).toEqual([
      ['active', 'at_risk', 'no_recent_purchase', day(130)],
      ['at_risk', 'churned', 'no_recent_purchase', day(220)],
    ]);
  });

  it('keeps a customer who buys again before the threshold active: the clock runs from the last purchase', () => {
    const { events } = decideAll([
      buy('o-1', 50, day(0)),
      review(day(31)),
      buy('o-2', 50, day(80)),
    ]);
    const decided = given(...events)
      .when(review(day(169.9)))
      .decided();
    expect(moves(decided, 'LifecycleStageChanged')).toEqual([]);
  });

  it('wins back an at-risk customer who buys: active, reason win_back, at the purchase', () => {
    const { events } = decideAll([buy('o-1', 50, day(0)), review(day(100))]);
    expect(moves(events, 'LifecycleStageChanged').at(-1)).toEqual([
      'active',
      'at_risk',
      'no_recent_purchase',
      day(90),
    ]);
    const decided = given(...events)
      .when(buy('o-2', 20, day(120)))
      .decided();
    expect(moves(decided, 'LifecycleStageChanged')).toEqual([
      ['at_risk', 'active', 'win_back', day(120)],
    ]);
  });

  it('wins back a churned customer, after first appending the transitions due by the purchase', () => {
    const { events } = decideAll([buy('o-1', 50, day(0))]);
    const decided = given(...events)
      .when(buy('o-2', 20, day(300)))
      .decided();
    const purchaseAt = decided.findIndex((event) => event.type === 'PurchaseRecorded');
    expect(moves(decided.slice(0, purchaseAt), 'LifecycleStageChanged')).toEqual([
      ['new', 'active', 'new_period_ended', day(30)],
      ['active', 'at_risk', 'no_recent_purchase', day(90)],
      ['at_risk', 'churned', 'no_recent_purchase', day(180)],
    ]);
    expect(moves(decided.slice(purchaseAt), 'LifecycleStageChanged')).toEqual([
      ['churned', 'active', 'win_back', day(300)],
    ]);
  });

  it('changes no stage for a purchase by a new or active customer', () => {
    const { events } = decideAll([buy('o-1', 50, day(0))]);
    expect(
      moves(
        given(...events)
          .when(buy('o-2', 5, day(10)))
          .decided(),
        'LifecycleStageChanged',
      ),
    ).toEqual([]);
  });
});
