interface Store {
  /** Business times in ms, ascending; equal times keep their arrival order. */
  readonly at: number[];
  /** Per column, the running total up to and including each entry. */
  readonly totals: number[][];
}

// Rounds sums to a millionth, like money.ts: differences of running totals must not drift.
const SCALE = 1_000_000;
const round = (value: number) => Math.round(value * SCALE) / SCALE;

/**
 * Facts in business-time order with running totals per column, so "the sum over (from, to]" is two
 * binary searches however long the history. Immutable like PersistentMap: adding an entry at or
 * after the last one, to the newest version, is O(1) (how `fold` uses it); a back-dated entry or
 * an add to an older version copies what that version sees.
 */
export class TimeSeries {
  private constructor(
    private readonly store: Store,
    readonly length: number,
  ) {}

  static empty(columns: number): TimeSeries {
    return new TimeSeries({ at: [], totals: Array.from({ length: columns }, () => []) }, 0);
  }

  add(at: number, values: readonly number[]): TimeSeries {
    // An empty series starts its own store: the shared empty one (emptyActivity) then never holds
    // one customer's entries for the life of the process.
    if (this.length === 0) {
      return new TimeSeries({ at: [at], totals: values.map((value) => [round(value)]) }, 1);
    }
    const last = this.store.at[this.length - 1];
    if (this.length === this.store.at.length && at >= last) {
      this.store.at.push(at);
      this.store.totals.forEach((column, index) => {
        column.push(round(column[this.length - 1] + values[index]));
      });
      return new TimeSeries(this.store, this.length + 1);
    }
    const position = this.firstIndexAfter(at);
    const times = this.store.at.slice(0, this.length);
    times.splice(position, 0, at);
    const totals = this.store.totals.map((column, index) => {
      const copy = column.slice(0, this.length);
      const before = position === 0 ? 0 : copy[position - 1];
      copy.splice(position, 0, round(before + values[index]));
      for (let i = position + 1; i < copy.length; i++) copy[i] = round(copy[i] + values[index]);
      return copy;
    });
    return new TimeSeries({ at: times, totals }, this.length + 1);
  }

  /** Totals per column of the entries with time ≤ `at`. */
  totalsUpTo(at: number): number[] {
    const count = this.firstIndexAfter(at);
    return this.store.totals.map((column) => (count === 0 ? 0 : column[count - 1]));
  }

  /** Totals per column of the entries with time in (from, to]. */
  sumIn(from: number, to: number): number[] {
    const upper = this.totalsUpTo(to);
    const lower = this.totalsUpTo(from);
    return upper.map((total, index) => round(total - lower[index]));
  }

  /** The earliest entry time strictly after `at`, or undefined. */
  firstTimeAfter(at: number): number | undefined {
    const index = this.firstIndexAfter(at);
    return index < this.length ? this.store.at[index] : undefined;
  }

  firstTime(): number | undefined {
    return this.length === 0 ? undefined : this.store.at[0];
  }

  /** What this version holds, so snapshots and logs show contents rather than shared internals. */
  toJSON(): { at: number[]; totals: number[][] } {
    return {
      at: this.store.at.slice(0, this.length),
      totals: this.store.totals.map((column) => column.slice(0, this.length)),
    };
  }

  private firstIndexAfter(at: number): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.store.at[middle] <= at) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
