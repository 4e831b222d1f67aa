/** Entries in arrival order; append-only, shared by the versions that are prefixes of it. */
interface Log {
  readonly at: number[];
  /** Per column, the value of each entry. */
  readonly values: number[][];
  /** The first `count` entries in business-time order with running totals; a cache, built on demand. */
  sorted: Sorted | null;
}

interface Sorted {
  count: number;
  /** Business times in ms, ascending; equal times keep their arrival order. */
  readonly at: number[];
  /** Per column, the running total up to and including each entry. */
  readonly totals: number[][];
}

// Rounds sums to a millionth, like money.ts: differences of running totals must not drift.
const SCALE = 1_000_000;
const round = (value: number) => Math.round(value * SCALE) / SCALE;

/**
 * Facts by business time with running totals per column, so "the sum over (from, to]" is two
 * binary searches however long the history. Immutable like PersistentMap: `add` to the newest
 * version is O(1) (how `fold` uses it), an add to an older version copies what that version sees.
 * Entries are kept in arrival order; the time-ordered totals are a cache built at the first query
 * and extended by later ones, so loading a stream with back-dated facts stays linear and only a
 * decision pays for ordering what arrived since the last one.
 */
export class TimeSeries {
  private constructor(
    private readonly log: Log,
    readonly length: number,
  ) {}

  static empty(columns: number): TimeSeries {
    return new TimeSeries(emptyLog(columns), 0);
  }

  add(at: number, values: readonly number[]): TimeSeries {
    // An empty series starts its own log: the shared empty one (emptyActivity) then never holds
    // one customer's entries for the life of the process.
    const log =
      this.length === this.log.at.length && this.length > 0 ? this.log : this.copyVisible();
    log.at.push(at);
    log.values.forEach((column, index) => column.push(values[index]));
    return new TimeSeries(log, this.length + 1);
  }

  /** Totals per column of the entries with time ≤ `at`. */
  totalsUpTo(at: number): number[] {
    const sorted = this.sorted();
    const count = firstIndexAfter(sorted, at);
    return sorted.totals.map((column) => (count === 0 ? 0 : column[count - 1]));
  }

  /** Totals per column of the entries with time in (from, to]. */
  sumIn(from: number, to: number): number[] {
    const upper = this.totalsUpTo(to);
    const lower = this.totalsUpTo(from);
    return upper.map((total, index) => round(total - lower[index]));
  }

  /** The earliest entry time strictly after `at`, or undefined. */
  firstTimeAfter(at: number): number | undefined {
    const sorted = this.sorted();
    const index = firstIndexAfter(sorted, at);
    return index < sorted.count ? sorted.at[index] : undefined;
  }

  firstTime(): number | undefined {
    const sorted = this.sorted();
    return sorted.count === 0 ? undefined : sorted.at[0];
  }

  /**
   * The entries of this version in arrival order, as given to `add`: adding them in this order to an empty series
   * of as many columns gives an equal series (how a snapshot stores one).
   */
  arrivals(): { at: number[]; values: number[][] } {
    return {
      at: this.log.at.slice(0, this.length),
      values: this.log.values.map((column) => column.slice(0, this.length)),
    };
  }

  /** The series `arrivals()` describes, built in one pass. */
  static fromArrivals(at: readonly number[], values: readonly (readonly number[])[]): TimeSeries {
    if (values.some((column) => column.length !== at.length)) {
      throw new Error('TimeSeries.fromArrivals: every column needs one value per entry');
    }
    return new TimeSeries(
      { at: [...at], values: values.map((column) => [...column]), sorted: null },
      at.length,
    );
  }

  /** What this version holds, in business-time order with running totals. */
  toJSON(): { at: number[]; totals: number[][] } {
    const sorted = this.sorted();
    return {
      at: sorted.at.slice(0, sorted.count),
      totals: sorted.totals.map((column) => column.slice(0, sorted.count)),
    };
  }

  private sorted(): Sorted {
    const cached = this.log.sorted;
    if (cached && cached.count === this.length) return cached;
    if (cached && cached.count < this.length) {
      for (let entry = cached.count; entry < this.length; entry++) insert(cached, this.log, entry);
      return cached;
    }
    this.log.sorted = build(this.log, this.length);
    return this.log.sorted;
  }

  private copyVisible(): Log {
    return {
      at: this.log.at.slice(0, this.length),
      values: this.log.values.map((column) => column.slice(0, this.length)),
      sorted: null,
    };
  }
}

function emptyLog(columns: number): Log {
  return { at: [], values: Array.from({ length: columns }, () => []), sorted: null };
}

function build(log: Log, count: number): Sorted {
  const order = Array.from({ length: count }, (_, index) => index);
  order.sort((a, b) => log.at[a] - log.at[b] || a - b);
  const totals = log.values.map((column) => {
    const running: number[] = [];
    let total = 0;
    for (const entry of order) {
      total = round(total + column[entry]);
      running.push(total);
    }
    return running;
  });
  return { count, at: order.map((entry) => log.at[entry]), totals };
}

// The cache belongs to the log alone, so it is changed in place: a back-dated entry costs a move
// of the later entries, not a copy of the whole series.
function insert(sorted: Sorted, log: Log, entry: number): void {
  const at = log.at[entry];
  const position = firstIndexAfter(sorted, at);
  sorted.at.splice(position, 0, at);
  sorted.totals.forEach((column, index) => {
    const value = log.values[index][entry];
    column.splice(position, 0, round((position === 0 ? 0 : column[position - 1]) + value));
    for (let i = position + 1; i <= sorted.count; i++) column[i] = round(column[i] + value);
  });
  sorted.count += 1;
}

function firstIndexAfter(sorted: Sorted, at: number): number {
  let low = 0;
  let high = sorted.count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted.at[middle] <= at) low = middle + 1;
    else high = middle;
  }
  return low;
}
