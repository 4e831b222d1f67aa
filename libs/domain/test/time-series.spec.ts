import { TimeSeries } from '@app/domain';

describe('TimeSeries', () => {
  it('sums a column over (from, to] whatever order the entries arrived in', () => {
    const series = TimeSeries.empty(2)
      .add(10, [1, 100])
      .add(30, [3, 300])
      .add(20, [2, 200]) // back-dated
      .add(30, [0.1, 0]);
    expect(series.sumIn(10, 30)).toEqual([5.1, 500]);
    expect(series.sumIn(0, 10)).toEqual([1, 100]);
    expect(series.totalsUpTo(25)).toEqual([3, 300]);
    expect(series.firstTimeAfter(10)).toBe(20);
    expect(series.firstTimeAfter(30)).toBeUndefined();
  });

  it('leaves every earlier version unchanged', () => {
    const one = TimeSeries.empty(1).add(10, [1]);
    const two = one.add(20, [2]);
    const branch = one.add(15, [5]);
    expect(one.toJSON()).toEqual({ at: [10], totals: [[1]] });
    expect(two.toJSON()).toEqual({ at: [10, 20], totals: [[1, 3]] });
    expect(branch.toJSON()).toEqual({ at: [10, 15], totals: [[1, 6]] });
  });

  it('gives the entries of a version in arrival order, from which the same series is rebuilt', () => {
    const older = TimeSeries.empty(2).add(30, [3, 300]).add(10, [1, 100]);
    const newer = older.add(20, [2, 200]);
    older.totalsUpTo(0); // its sorted cache is built and shared with later versions: not part of what it holds
    expect(older.arrivals()).toEqual({
      at: [30, 10],
      values: [
        [3, 1],
        [300, 100],
      ],
    });
    const rebuilt = TimeSeries.fromArrivals(newer.arrivals().at, newer.arrivals().values);
    expect(rebuilt.arrivals()).toEqual(newer.arrivals());
    expect(rebuilt.toJSON()).toEqual(newer.toJSON());
    expect(rebuilt.add(5, [5, 500]).sumIn(0, 30)).toEqual(newer.add(5, [5, 500]).sumIn(0, 30));
  });

  it('keeps the number of columns of an empty series, and refuses columns of unequal length', () => {
    expect(TimeSeries.fromArrivals([], [[], []]).arrivals()).toEqual({ at: [], values: [[], []] });
    expect(() => TimeSeries.fromArrivals([1, 2], [[1]])).toThrow(/one value per entry/);
  });
});
