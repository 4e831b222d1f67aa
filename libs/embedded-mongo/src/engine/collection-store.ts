import { BSON, type Document } from 'bson';
import {
  type TypeHints,
  canonicalRank,
  compareValues,
  isPlainObject,
  keyOf,
  rememberHints,
} from '../bson/bson-values';
import { renderValue } from './render-value';
import { type Matcher } from './query-tools';
import { CollectionIndex, type IndexSpec } from './collection-index';
import {
  type Collation,
  type CollationClasses,
  MIN_CLASS_RENEWAL,
  foldStrings,
  parseCollation,
} from './collation';
import { type DocumentValidator, validatorOf } from './document-validator';
import { MongoCommandError } from './mongo-error';

export interface StoredDoc {
  doc: Record<string, unknown>;
  hints: TypeHints | undefined;
  /** The record id (`showRecordId`): assigned in insertion order, kept by updates. */
  rid?: number;
}

export interface ViewDefinition {
  viewOn: string;
  pipeline: Document[];
}

function viewDefinition(options: Document): ViewDefinition | undefined {
  if (typeof options.viewOn !== 'string') return undefined;
  return { viewOn: options.viewOn, pipeline: (options.pipeline as Document[] | undefined) ?? [] };
}

/** A capped collection's limits: bytes (rounded as mongod rounds them) and optionally documents. */
export interface CappedLimits {
  size: number;
  max: number | undefined;
}

export interface QueryStats {
  docsExamined: number;
  keysExamined: number;
  stage: 'IDHACK' | 'IXSCAN' | 'COLLSCAN' | 'EOF';
  indexName?: string;
}

const ID_INDEX: IndexSpec = { name: '_id_', key: { _id: 1 } };

/** One collection's documents (by `_id` key) and its secondary indexes. */
export class CollectionStore {
  readonly records = new Map<string, StoredDoc>();
  readonly indexes = new Map<string, CollectionIndex>();
  /** Documents tested against a filter since start; exposed so tests can prove index use. */
  docsExamined = 0;
  private lastRecordId = 0;
  /** Tailable cursors waiting for an insert into this (capped) collection. */
  readonly tailWaiters = new Set<() => void>();
  /** Set for capped collections only, with the bytes their documents take. */
  capped: CappedLimits | undefined;
  cappedBytes = 0;
  /** The newest record id a capped collection dropped to stay within its limits. */
  evictedUpTo = 0;
  /** Set for views: the collection (or view) they read and the pipeline they apply. */
  view: ViewDefinition | undefined;
  /** Set when the collection has a validator. */
  validator: DocumentValidator | undefined;
  /** The collection's default collation, for queries and indexes that name none. */
  readonly collation: Collation | undefined;
  /** With a default collation: the `_id` key under it → the stored `_id` key (uniqueness). */
  private collatedIds: Map<string, string> | undefined;
  /** The classes collatedIds keys strings by, and the removals since they were new. */
  private idClasses: CollationClasses | undefined;
  private idRemovals = 0;

  constructor(
    public db: string,
    public name: string,
    public options: Document = {},
  ) {
    this.capped = cappedLimits(options);
    this.view = viewDefinition(options);
    this.validator = validatorOf(options);
    this.collation = parseCollation(options.collation) ?? undefined;
    this.collatedIds = this.collation ? new Map() : undefined;
    this.idClasses = this.collation?.newClasses();
  }

  /** Replaces the options (collMod), with what they imply. */
  setOptions(options: Document): void {
    this.options = options;
    this.capped = cappedLimits(options);
    this.view = viewDefinition(options);
    // The default collation is fixed at create: collMod does not change it.
    this.validator = validatorOf(options);
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  indexSpecs(): IndexSpec[] {
    return [ID_INDEX, ...[...this.indexes.values()].map((i) => i.spec)];
  }

  describeIndexes(): Document[] {
    return [
      { v: 2, key: { _id: 1 }, name: '_id_' },
      ...[...this.indexes.values()].map((i) => i.describe()),
    ];
  }

  get(idKey: string): StoredDoc | undefined {
    return this.records.get(idKey);
  }

  /**
   * Checks the validator (unless bypassed) and every unique constraint for `next` replacing the
   * document at `idKey` (if any).
   */
  checkWrite(idKey: string, next: StoredDoc, isInsert: boolean, bypassValidation = false): void {
    if (this.validator && !bypassValidation) {
      this.validator.check(next, isInsert ? undefined : this.records.get(idKey), warnValidation);
    }
    const holder = isInsert
      ? this.collatedIds?.get(this.collatedIdKey(next.doc._id, false))
      : undefined;
    if (isInsert && (this.records.has(idKey) || (holder !== undefined && holder !== idKey))) {
      throw new MongoCommandError(
        'DuplicateKey',
        `E11000 duplicate key error collection: ${this.ns} index: _id_ dup key: { _id: ${renderValue(next.doc._id)} }`,
        { keyPattern: { _id: 1 }, keyValue: { _id: next.doc._id } },
      );
    }
    for (const index of this.indexes.values()) index.checkUnique(next.doc, idKey);
  }

  /** Stores the document; the caller has already run checkWrite. */
  put(idKey: string, next: StoredDoc): void {
    const previous = this.records.get(idKey);
    for (const index of this.indexes.values()) {
      if (previous) index.replace(previous.doc, next.doc, idKey);
      else index.add(next.doc, idKey);
    }
    rememberHints(next.doc, next.hints);
    next.rid = previous?.rid ?? ++this.lastRecordId;
    if (this.capped) this.cappedBytes += sizeOf(next) - (previous ? sizeOf(previous) : 0);
    if (!previous) this.collatedIds?.set(this.collatedIdKey(next.doc._id), idKey);
    this.records.set(idKey, next);
    if (previous) this.renewStaleClasses();
  }

  /** How many classes the `_id` keys of a default collation hold (they start over now and then). */
  get idClassCount(): number {
    return this.idClasses?.size ?? 0;
  }

  /** The `_id` index follows the collection's default collation: ids it calls equal share this key. */
  private collatedIdKey(id: unknown, register = true): string {
    const classes = this.idClasses!;
    return keyOf(foldStrings(id, (s) => classes.representative(s, register)));
  }

  /**
   * Collation classes remember every string ever keyed; after more removals than there are
   * documents (see CollectionIndex.classesStale) the keys are rebuilt over fresh classes.
   */
  private renewStaleClasses(): void {
    for (const [name, index] of this.indexes) {
      if (!index.classesStale(this.records.size)) continue;
      const fresh = new CollectionIndex(index.spec, this.ns);
      for (const [id, record] of this.records) fresh.add(record.doc, id);
      this.indexes.set(name, fresh);
    }
    const classes = this.idClasses;
    if (classes && this.idRemovals > Math.max(MIN_CLASS_RENEWAL, this.records.size)) {
      this.idClasses = this.collation!.newClasses();
      this.idRemovals = 0;
      this.collatedIds = new Map();
      for (const [idKey, record] of this.records) {
        this.collatedIds.set(this.collatedIdKey(record.doc._id), idKey);
      }
    }
  }

  get latestRecordId(): number {
    return this.lastRecordId;
  }

  /** Wakes the tailable cursors waiting for a new document (or for the collection to go). */
  notifyTails(): void {
    for (const wake of [...this.tailWaiters]) wake();
  }

  /** Adds a document read back from a snapshot (no indexes exist yet, hints are remembered). */
  load(idKey: string, record: StoredDoc): void {
    record.rid = ++this.lastRecordId;
    if (this.capped) this.cappedBytes += sizeOf(record);
    this.collatedIds?.set(this.collatedIdKey(record.doc._id), idKey);
    this.records.set(idKey, record);
  }

  /** The oldest documents a capped collection must drop to stay within its limits after an insert. */
  overCapacity(): string[] {
    const capped = this.capped;
    if (!capped) return [];
    let count = this.records.size;
    let bytes = this.cappedBytes;
    const out: string[] = [];
    for (const [idKey, record] of this.records) {
      const overMax = capped.max !== undefined && count > capped.max;
      if (!overMax && bytes <= capped.size) break;
      if (count === 1) break; // the newest document always stays, as in mongod
      out.push(idKey);
      count--;
      bytes -= sizeOf(record);
    }
    return out;
  }

  delete(idKey: string): boolean {
    const previous = this.records.get(idKey);
    if (!previous) return false;
    for (const index of this.indexes.values()) index.remove(previous.doc, idKey);
    if (this.capped) this.cappedBytes -= sizeOf(previous);
    if (this.collatedIds) {
      this.collatedIds.delete(this.collatedIdKey(previous.doc._id));
      this.idRemovals++;
    }
    this.records.delete(idKey);
    this.renewStaleClasses();
    return true;
  }

  /** Builds an index over existing documents; fails with the duplicate key error if unique breaks. */
  addIndex(spec: IndexSpec): void {
    const index = new CollectionIndex(spec, this.ns);
    for (const [id, record] of this.records) {
      index.checkUnique(record.doc, id);
      index.add(record.doc, id);
    }
    this.indexes.set(spec.name, index);
  }

  addIndexUnchecked(spec: IndexSpec): void {
    const index = new CollectionIndex(spec, this.ns);
    for (const [id, record] of this.records) index.add(record.doc, id);
    this.indexes.set(spec.name, index);
  }

  /**
   * Documents matching the filter. Uses the `_id` map or a secondary index when the filter pins a
   * top-level field by equality, `$in` or a range; otherwise scans.
   */
  find(
    filter: Document,
    matches: Matcher,
    stats?: QueryStats,
    limit = 0,
    collation?: Collation,
  ): StoredDoc[] {
    const candidates = this.plan(filter, stats, collation);
    // The `_id` map holds exactly the documents whose `_id` is one of these strings: each candidate matches, and
    // the matcher would only compare it with every value of the list again (quadratic for a long `$in`).
    const exact = candidates !== undefined && isStringIdLookup(filter);
    const out: StoredDoc[] = [];
    let examined = 0;
    const test = (record: StoredDoc | undefined): boolean => {
      if (record) {
        examined++;
        if (exact || matches(record.doc)) out.push(record);
      }
      return limit > 0 && out.length >= limit;
    };
    if (candidates) {
      for (const id of candidates) if (test(this.records.get(id))) break;
    } else {
      for (const record of this.records.values()) if (test(record)) break;
    }
    this.docsExamined += examined;
    if (stats) stats.docsExamined += examined;
    return out;
  }

  /**
   * A collation changes which strings are equal, so an index only serves string conditions of a
   * query with the same collation (the `_id` map and indexes without one compare binary).
   */
  private plan(
    filter: Document,
    stats?: QueryStats,
    collation?: Collation,
  ): Iterable<string> | undefined {
    const conditions = topLevelConditions(filter);
    const idCondition = conditions.get('_id');
    // The `_id` index has the collection's default collation: it serves string conditions of
    // queries with that collation (through collatedIds), and of no other.
    const collatedId =
      collation !== undefined && idCondition !== undefined && containsString(idCondition);
    if (idCondition && (!collatedId || collation.id === this.collation?.id)) {
      const eq =
        isPlainObject(idCondition) && !isOperatorObject(idCondition)
          ? [idCondition]
          : equalityValues(idCondition);
      if (eq) {
        if (stats) {
          stats.stage = eq.length === 1 && !collatedId ? 'IDHACK' : 'IXSCAN';
          stats.indexName = '_id_';
          stats.keysExamined += eq.length;
        }
        // As an index scan over `$in` bounds: each document once, in `_id` order.
        const values = eq.length > 1 ? distinctSorted(eq) : eq;
        if (!collatedId) return values.map(keyOf);
        const ids = new Set<string>();
        for (const value of values) {
          const idKey = this.collatedIds!.get(this.collatedIdKey(value, false));
          if (idKey !== undefined) ids.add(idKey);
        }
        return ids;
      }
    }
    let best: { ids: ReadonlySet<string>; index: CollectionIndex; score: number } | undefined;
    for (const index of this.indexes.values()) {
      if (index.spec.partialFilterExpression || index.spec.sparse) continue;
      const first = conditions.get(index.fields[0]);
      if (first === undefined) continue;
      if (index.collation?.id !== collation?.id) {
        if (index.fields.some((f) => containsString(conditions.get(f)))) continue;
      }
      const allEq = index.fields.map((f) => {
        const c = conditions.get(f);
        const values = c === undefined ? undefined : equalityValues(c);
        return values && values.length === 1 ? values[0] : undefined;
      });
      let ids: ReadonlySet<string> | undefined;
      let score = 0;
      if (index.fields.length > 1 && allEq.every((v) => v !== undefined)) {
        ids = index.lookupFullEqual(allEq);
        score = 3;
      } else {
        const eq = equalityValues(first);
        if (eq) {
          ids = index.lookupFirstEqual(eq);
          score = 2;
        } else {
          // A collated index is in its collation's order; string bounds reach it only from a
          // query with that collation (checked above).
          const range = rangeBounds(first);
          if (range) {
            ids = index.lookupRange(range.lower, range.upper, this.records);
            score = 1;
          }
        }
      }
      if (
        ids &&
        (!best || score > best.score || (score === best.score && ids.size < best.ids.size))
      ) {
        best = { ids, index, score };
      }
    }
    if (best) {
      if (stats) {
        stats.stage = 'IXSCAN';
        stats.indexName = best.index.name;
        stats.keysExamined += best.ids.size;
      }
      return best.ids;
    }
    if (stats) stats.stage = 'COLLSCAN';
    return undefined;
  }
}

/** Field → condition for the top level of a filter, looking into a top-level `$and`. */
function topLevelConditions(filter: Document): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const visit = (f: Document): void => {
    for (const [key, value] of Object.entries(f)) {
      if (key === '$and' && Array.isArray(value)) {
        for (const part of value) if (isPlainObject(part)) visit(part);
      } else if (!key.startsWith('$') && !out.has(key)) {
        out.set(key, value);
      }
    }
  };
  visit(filter);
  return out;
}

function containsString(value: unknown): boolean {
  if (typeof value === 'string' || value instanceof RegExp) return true;
  if (Array.isArray(value)) return value.some(containsString);
  return isPlainObject(value) && Object.values(value).some(containsString);
}

/** The values in MongoDB's order, each once (1 and 1.0 are one value). */
function distinctSorted(values: readonly unknown[]): unknown[] {
  const sorted = [...values].sort((a, b) => compareValues(a, b));
  return sorted.filter((value, i) => i === 0 || compareValues(sorted[i - 1], value) !== 0);
}

/** `{ _id: "x" }`, `{ _id: { $eq: "x" } }` or `{ _id: { $in: ["x", …] } }`: nothing but string ids. */
function isStringIdLookup(filter: Document): boolean {
  const keys = Object.keys(filter);
  if (keys.length !== 1 || keys[0] !== '_id') return false;
  const id: unknown = filter._id;
  if (typeof id === 'string') return true;
  if (!isOperatorObject(id)) return false;
  const operators = Object.keys(id);
  if (operators.length !== 1) return false;
  if (operators[0] === '$eq') return typeof id.$eq === 'string';
  return (
    operators[0] === '$in' &&
    Array.isArray(id.$in) &&
    id.$in.every((value) => typeof value === 'string')
  );
}

function isIndexableScalar(value: unknown): boolean {
  if (value === undefined) return false;
  if (Array.isArray(value) || value instanceof RegExp || isPlainObject(value)) return false;
  const rank = canonicalRank(value);
  return rank !== 1 && rank !== 12 && rank !== 13;
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  return (
    isPlainObject(value) &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((k) => k.startsWith('$'))
  );
}

/** The values a condition pins the field to, if it is an equality or `$in` of scalars. */
function equalityValues(condition: unknown): unknown[] | undefined {
  if (isIndexableScalar(condition)) return [condition];
  if (!isOperatorObject(condition)) return undefined;
  const keys = Object.keys(condition);
  if (keys.length !== 1) return undefined;
  if (keys[0] === '$eq' && isIndexableScalar(condition.$eq)) return [condition.$eq];
  if (keys[0] === '$in' && Array.isArray(condition.$in) && condition.$in.every(isIndexableScalar)) {
    return condition.$in;
  }
  return undefined;
}

function rangeBounds(condition: unknown):
  | {
      lower?: { value: unknown; inclusive: boolean };
      upper?: { value: unknown; inclusive: boolean };
    }
  | undefined {
  if (!isOperatorObject(condition)) return undefined;
  let lower: { value: unknown; inclusive: boolean } | undefined;
  let upper: { value: unknown; inclusive: boolean } | undefined;
  for (const [op, value] of Object.entries(condition)) {
    if (!isIndexableScalar(value) || value === null) return undefined;
    if (op === '$gt' || op === '$gte') lower = { value, inclusive: op === '$gte' };
    else if (op === '$lt' || op === '$lte') upper = { value, inclusive: op === '$lte' };
    else return undefined;
  }
  if (lower && upper && canonicalRank(lower.value) !== canonicalRank(upper.value)) return undefined;
  if (!lower && !upper) return undefined;
  return { lower, upper };
}

function warnValidation(message: string): void {
  process.stderr.write(`embedded-mongo: ${message}\n`);
}

function sizeOf(record: StoredDoc): number {
  return BSON.calculateObjectSize(record.doc);
}

function cappedLimits(options: Document): CappedLimits | undefined {
  if (options.capped !== true) return undefined;
  const size = Number(options.size);
  const max = Number(options.max);
  return {
    // mongod raises the size to 4096 bytes at least and otherwise to a multiple of 256.
    size: size <= 4096 ? 4096 : Math.ceil(size / 256) * 256,
    max: Number.isFinite(max) && max > 0 ? max : undefined,
  };
}
