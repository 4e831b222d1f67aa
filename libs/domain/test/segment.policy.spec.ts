import { given, registered } from './customer.fixtures';
import {
  buy,
  complaint,
  day,
  decideAll,
  feedback,
  ofType,
  refund,
  review,
  segmentMoves,
  VERSION,
} from './policy.fixtures';

describe('segment policy', () => {
  it('gives segments only to customers who have bought', () => {
    const decided = given(registered())
      .when(feedback('f-1', day(0), { score: 5 }))
      .decided();
    expect(ofType(decided, 'SegmentChanged')).toEqual([]);
  });

  it('places a buyer in both dimensions at the first purchase, with the scores judged', () => {
    const decided = given(registered())
      .when(buy('o-1', 1000, day(0), { margin: 100 }))
      .decided();
    expect(ofType(decided, 'SegmentChanged')).toEqual([
      expect.objectContaining({
        dimension: 'quadrant',
        from: null,
        to: 'lead',
        reason: 'purchase',
        scores: { currentValue: 100, longTermValue: 300 },
        ruleVersion: VERSION,
        effectiveAt: day(0),
      }),
      expect.objectContaining({
        dimension: 'account',
        from: null,
        to: 'opportunistic',
        // 0.5·1000/20000 + 0.3·100/5000 + 0.2·1 (growth from nothing); 0.4·0.5 + 0.3·1
        scores: { attractiveness: 0.231, strength: 0.5 },
      }),
    ]);
  });

  it('ranks the value quadrant by current margin and predicted long-term value', () => {
    const quadrantOf = (margin: number) =>
      ofType(
        given(registered())
          .when(buy('o-1', 10000, day(0), { margin }))
          .decided(),
        'SegmentChanged',
      ).find((data) => data.dimension === 'quadrant')?.to;
    expect(quadrantOf(2500)).toBe('platinum'); // 2500 ≥ 2000, 3 × 2500 ≥ 5000
    expect(quadrantOf(1800)).toBe('iron'); // 1800 < 2000, 5400 ≥ 5000
    expect(quadrantOf(1000)).toBe('lead');
  });

  it('moves the quadrant when the stage changes and when a purchase leaves the window', () => {
    const { events } = decideAll([buy('o-1', 10000, day(0), { margin: 2500 }), review(day(400))]);
    expect(segmentMoves(events, 'quadrant')).toEqual([
      ['none', 'platinum', 'purchase', day(0)],
      // at risk: long-term value halves (3750 < 5000) while the margin is still in the window
      ['platinum', 'gold', 'stage_change', day(90)],
      ['gold', 'lead', 'window_exit', day(365)],
    ]);
  });

  it('moves the quadrant at a refund that takes the margin back', () => {
    const { events } = decideAll([buy('o-1', 10000, day(0), { margin: 2500 })]);
    const decided = given(...events)
      .when(refund('o-1', 5000, day(5)))
      .decided();
    expect(segmentMoves(decided, 'quadrant')).toEqual([['platinum', 'lead', 'refund', day(5)]]);
    expect(ofType(decided, 'SegmentChanged')[0].scores).toEqual({
      currentValue: 1250,
      longTermValue: 3750,
    });
  });

  it('moves the key-account segment with satisfaction and complaint handling', () => {
    const { events } = decideAll([
      buy('o-1', 20000, day(0), { margin: 5000 }),
      feedback('f-1', day(1), { score: 5 }),
      complaint('complaint_opened', 'k-1', day(2)),
      complaint('complaint_resolved', 'k-1', day(3)),
    ]);
    expect(segmentMoves(events, 'account')).toEqual([
      ['none', 'key_development', 'purchase', day(0)],
      ['key_development', 'key', 'feedback', day(1)],
      ['key', 'key_development', 'complaint_opened', day(2)],
      ['key_development', 'key', 'complaint_resolved', day(3)],
    ]);
  });
});
