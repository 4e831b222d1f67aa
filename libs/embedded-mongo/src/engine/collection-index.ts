import { Query } from 'mingo';
import { type Document } from 'bson';
import { canonicalRank, collectPathValues, compareValues, keyOf } from '../bson/bson-values';
import { type Collation, MIN_CLASS_RENEWAL, foldStrings, parseCollation } from './collation';
import { MongoCommandError } from './mongo-error';
import { renderValue } from './render-value';

export interface IndexSpec {
  name: string;
  key: Record<string, number | string>;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  /** A collation's full spec; string keys then compare by it (unique checks and lookups). */
  collation?: Document;
}

/** A document's keys in an index: the full keys (hashed) and the first field's values. */
interface IndexKeys {
  full: string[];
  first: unknown[];
}

interface Entry {
  value: unknown;
  id: string;
}

/**
 * A secondary index: a hash map from the full key to document ids (uniqueness and equality on all
 * fields) and a lazily sorted list of first-field values (ranges and prefix equality).
 */
export class CollectionIndex {
  readonly fields: string[];
  private readonly byKey = new Map<string, Set<string>>();
  private readonly byFirst = new Map<string, Set<string>>();
  /**
   * First-field values in index order, built on the first range query and then kept up to date
   * incrementally (removed entries are dropped lazily); undefined until ranges are asked for.
   */
  private sorted: Entry[] | undefined;
  private sortedDirty = false;
  private readonly staleIds = new Set<string>();
  private readonly partial: Query | undefined;
  readonly collation: Collation | undefined;
  /** Entries removed since the collation's classes were new (see classesStale). */
  private classRemovals = 0;

  constructor(
    readonly spec: IndexSpec,
    private readonly ns: string,
  ) {
    this.fields = Object.keys(spec.key);
    this.collation = spec.collation ? (parseCollation(spec.collation) ?? undefined) : undefined;
    this.partial = spec.partialFilterExpression
      ? new Query(spec.partialFilterExpression, {})
      : undefined;
  }

  get name(): string {
    return this.spec.name;
  }

  /** The index's order: MongoDB's, strings by the index collation when it has one. */
  private order(a: unknown, b: unknown): number {
    return compareValues(a, b, this.collation?.compare);
  }

  /**
   * The hash key of a value: strings replaced by their class under the collation, so equal strings
   * share it. Lookups pass `register: false` so that query values are not remembered as classes.
   */
  private hashKey(value: unknown, register = true): string {
    const collation = this.collation;
    return keyOf(collation ? foldStrings(value, (s) => collation.key(s, register)) : value);
  }

  private fieldValues(doc: Record<string, unknown>, field: string): unknown[] {
    const values: unknown[] = [];
    for (const v of collectPathValues(doc, field)) {
      if (Array.isArray(v)) {
        if (v.length === 0) values.push(undefined);
        else for (const e of v) values.push(e);
      } else values.push(v);
    }
    return values;
  }

  /** Index keys of a document: one per element for array values (multikey), [] if not indexed. */
  keysOf(doc: Record<string, unknown>): IndexKeys {
    if (this.partial && !this.partial.test(doc)) return { full: [], first: [] };
    if (this.fields.length === 1) {
      const values = this.fieldValues(doc, this.fields[0]);
      if (this.spec.sparse && values.every((v) => v === undefined)) return { full: [], first: [] };
      const full =
        values.length === 1
          ? [this.hashKey(values[0])]
          : [...new Set(values.map((v) => this.hashKey(v)))];
      return { full, first: values };
    }
    const perField = this.fields.map((field) => this.fieldValues(doc, field));
    if (this.spec.sparse && perField.every((vs) => vs.every((v) => v === undefined))) {
      return { full: [], first: [] };
    }
    let combos: unknown[][] = [[]];
    for (const values of perField) {
      const next: unknown[][] = [];
      for (const combo of combos) for (const v of values) next.push([...combo, v]);
      combos = next;
    }
    const full = [...new Set(combos.map((c) => this.comboKey(c)))];
    return { full, first: perField[0] };
  }

  comboKey(values: unknown[], register = true): string {
    return values.length === 1
      ? this.hashKey(values[0], register)
      : JSON.stringify(values.map((v) => this.hashKey(v, register)));
  }

  /** Throws MongoDB's duplicate key error if another document already holds one of the keys. */
  checkUnique(doc: Record<string, unknown>, id: string): void {
    if (!this.spec.unique) return;
    for (const key of this.keysOf(doc).full) {
      const holders = this.byKey.get(key);
      if (holders && (holders.size > 1 || !holders.has(id))) throw this.duplicateError(doc);
    }
  }

  duplicateError(doc: Record<string, unknown>): MongoCommandError {
    const keyValue: Record<string, unknown> = {};
    for (const field of this.fields) {
      const values = collectPathValues(doc, field);
      keyValue[field] = values.length === 1 ? (values[0] ?? null) : values;
    }
    const rendered = Object.entries(keyValue)
      .map(([k, v]) => `${k}: ${renderValue(v)}`)
      .join(', ');
    return new MongoCommandError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${this.ns} index: ${this.name} dup key: { ${rendered} }`,
      { keyPattern: this.spec.key, keyValue },
    );
  }

  add(doc: Record<string, unknown>, id: string): void {
    this.addKeys(this.keysOf(doc), id);
  }

  remove(doc: Record<string, unknown>, id: string): void {
    this.removeKeys(this.keysOf(doc), id);
  }

  /**
   * Moves a document's entries from its previous version to the next. Keys computed once per version; when they
   * are the same (an update that left the indexed fields alone), the index stays as it is.
   */
  replace(previous: Record<string, unknown>, next: Record<string, unknown>, id: string): void {
    const before = this.keysOf(previous);
    const after = this.keysOf(next);
    if (this.sameKeys(before, after)) return;
    this.removeKeys(before, id);
    this.addKeys(after, id);
  }

  private sameKeys(a: IndexKeys, b: IndexKeys): boolean {
    if (a.full.length !== b.full.length || a.first.length !== b.first.length) return false;
    for (let i = 0; i < a.full.length; i++) if (a.full[i] !== b.full[i]) return false;
    for (let i = 0; i < a.first.length; i++) {
      if (this.hashKey(a.first[i]) !== this.hashKey(b.first[i])) return false;
    }
    return true;
  }

  private addKeys({ full, first }: IndexKeys, id: string): void {
    for (const key of full) addTo(this.byKey, key, id);
    if (this.fields.length > 1) for (const v of first) addTo(this.byFirst, this.hashKey(v), id);
    if (this.sorted && first.length > 0) {
      for (const v of new Set(first)) this.sorted.push({ value: v, id });
      this.sortedDirty = true;
    }
  }

  /**
   * The collation's classes keep every string ever indexed. After more removals than `live`
   * documents (and at least MIN_CLASS_RENEWAL), the store rebuilds the index over fresh classes:
   * the classes stay within the live ones plus that many, and a rebuild costs at most one
   * document per removal on average.
   */
  classesStale(live: number): boolean {
    return this.collation !== undefined && this.classRemovals > Math.max(MIN_CLASS_RENEWAL, live);
  }

  private removeKeys({ full, first }: IndexKeys, id: string): void {
    if (this.collation) this.classRemovals++;
    for (const key of full) removeFrom(this.byKey, key, id);
    if (this.fields.length > 1)
      for (const v of first) removeFrom(this.byFirst, this.hashKey(v), id);
    if (this.sorted && first.length > 0) {
      this.staleIds.add(id);
      this.sortedDirty = true;
      // Many writes and no range queries: drop the list rather than let stale entries pile up.
      if (this.staleIds.size > 10_000 && this.staleIds.size * 2 > this.sorted.length) {
        this.sorted = undefined;
        this.staleIds.clear();
      }
    }
  }

  /**
   * Ids whose first field equals one of the values (a superset: the filter is re-checked). The
   * returned set may be the index's own and must not be modified.
   */
  lookupFirstEqual(values: unknown[]): ReadonlySet<string> {
    const map = this.fields.length > 1 ? this.byFirst : this.byKey;
    if (values.length === 1) return map.get(this.hashKey(values[0], false)) ?? EMPTY;
    const out = new Set<string>();
    for (const v of values) for (const id of map.get(this.hashKey(v, false)) ?? []) out.add(id);
    return out;
  }

  lookupFullEqual(values: unknown[]): ReadonlySet<string> {
    return this.byKey.get(this.comboKey(values, false)) ?? EMPTY;
  }

  /** Ids whose first field lies within the bounds, type-bracketed as MongoDB does. */
  lookupRange(
    lower: { value: unknown; inclusive: boolean } | undefined,
    upper: { value: unknown; inclusive: boolean } | undefined,
    records: ReadonlyMap<string, { doc: Record<string, unknown> }>,
  ): Set<string> {
    const sorted = this.ensureSorted(records);
    const rank = canonicalRank((lower ?? upper)!.value);
    const lo = lower
      ? this.bound(sorted, lower.value, lower.inclusive ? 'first-ge' : 'first-gt')
      : this.bound(sorted, minOfRank(rank), 'first-ge');
    const hi = upper
      ? this.bound(sorted, upper.value, upper.inclusive ? 'first-gt' : 'first-ge')
      : sorted.length;
    const out = new Set<string>();
    for (let i = lo; i < hi; i++) {
      const entry = sorted[i];
      const entryRank = canonicalRank(entry.value);
      if (entryRank !== rank) {
        if (entryRank > rank) break;
        continue;
      }
      out.add(entry.id);
    }
    return out;
  }

  private bound(sorted: Entry[], value: unknown, mode: 'first-ge' | 'first-gt'): number {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.order(sorted[mid].value, value);
      if (c < 0 || (mode === 'first-gt' && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private ensureSorted(records: ReadonlyMap<string, { doc: Record<string, unknown> }>): Entry[] {
    if (!this.sorted) {
      const entries: Entry[] = [];
      for (const [id, record] of records) {
        for (const value of new Set(this.keysOf(record.doc).first)) entries.push({ value, id });
      }
      this.sorted = entries;
      this.sortedDirty = true;
    }
    if (!this.sortedDirty) return this.sorted;
    if (this.staleIds.size > 0) {
      // A removed id may have been re-added with new values; keep only entries still indexed.
      const map = this.fields.length > 1 ? this.byFirst : this.byKey;
      this.sorted = this.sorted.filter(
        (e) => !this.staleIds.has(e.id) || (map.get(this.hashKey(e.value))?.has(e.id) ?? false),
      );
      this.staleIds.clear();
    }
    this.sorted.sort((a, b) => this.order(a.value, b.value));
    this.sortedDirty = false;
    return this.sorted;
  }

  describe(): Document {
    const out: Document = { v: 2, key: this.spec.key, name: this.name };
    if (this.spec.unique) out.unique = true;
    if (this.spec.sparse) out.sparse = true;
    if (this.spec.partialFilterExpression) {
      out.partialFilterExpression = this.spec.partialFilterExpression;
    }
    if (this.spec.expireAfterSeconds !== undefined) {
      out.expireAfterSeconds = this.spec.expireAfterSeconds;
    }
    if (this.spec.collation) out.collation = this.spec.collation;
    return out;
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function minOfRank(rank: number): unknown {
  switch (rank) {
    case 3:
      return -Infinity;
    case 4:
      return '';
    default:
      return null;
  }
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (set) set.add(id);
  else map.set(key, new Set([id]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) map.delete(key);
}
