import { Context } from 'mingo';
import { type Document } from 'bson';
import {
  canonicalRank,
  collectPathValues,
  compareValues,
  fromView,
  idFirst,
  isPlainObject,
  keyOf,
} from '../bson/bson-values';
import { type Collation } from './collation';
import { type StoredDoc } from './collection-store';
import { MongoCommandError, asCommandError } from './mongo-error';
import { NUMERIC_QUERY_OPERATORS } from './numeric-query-operators';
import { COLLATED_ACCUMULATORS, COLLATED_EXPRESSION_OPERATORS } from './collated-operators';
import { NUMERIC_ACCUMULATORS, NUMERIC_EXPRESSION_OPERATORS } from './numeric-expression-operators';

// mingo's public subpath exports, which the project's node10 type resolution cannot see.
/* eslint-disable @typescript-eslint/no-require-imports */
type Operators = Record<string, unknown>;
export const MINGO_OPERATORS = {
  accumulator: {
    ...(require('mingo/operators/accumulator') as Operators),
    ...NUMERIC_ACCUMULATORS,
    ...COLLATED_ACCUMULATORS,
  },
  expression: {
    ...(require('mingo/operators/expression') as Operators),
    ...NUMERIC_EXPRESSION_OPERATORS,
    ...COLLATED_EXPRESSION_OPERATORS,
  },
  pipeline: require('mingo/operators/pipeline') as Operators,
  projection: require('mingo/operators/projection') as Operators,
  query: {
    ...(require('mingo/operators/query') as Operators),
    ...NUMERIC_QUERY_OPERATORS,
  },
  window: require('mingo/operators/window') as Operators,
};
// The base Query: the one `mingo` exports merges its default operators over any given context.
export const { Query } = require('mingo/query') as {
  Query: new (
    condition: Document,
    options: object,
  ) => {
    test(doc: unknown): boolean;
    find<T>(docs: unknown[], projection?: Document): { all(): T[] };
  };
};
/* eslint-enable @typescript-eslint/no-require-imports */

const QUERY_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$not',
  '$exists',
  '$type',
  '$regex',
  '$options',
  '$elemMatch',
  '$size',
  '$all',
  '$mod',
  '$bitsAllSet',
  '$bitsAnySet',
  '$bitsAllClear',
  '$bitsAnyClear',
  '$geoWithin',
  '$geoIntersects',
  '$near',
  '$nearSphere',
  '$jsonSchema',
]);
const TOP_LEVEL_OPERATORS = new Set([
  '$and',
  '$or',
  '$nor',
  '$expr',
  '$where',
  '$comment',
  '$text',
  '$jsonSchema',
]);

/** Rejects unknown operators with mongod's messages before mingo sees the filter. */
function validateFilter(filter: Document, topLevel: boolean): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key.startsWith('$')) {
      if (topLevel && !TOP_LEVEL_OPERATORS.has(key)) {
        throw new MongoCommandError(
          'BadValue',
          `unknown top level operator: ${key}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField.`,
        );
      }
      if (!topLevel && !QUERY_OPERATORS.has(key)) {
        throw new MongoCommandError('BadValue', `unknown operator: ${key}`);
      }
      if ((key === '$and' || key === '$or' || key === '$nor') && topLevel) {
        if (!Array.isArray(value) || value.length === 0) {
          throw new MongoCommandError('BadValue', `${key} must be a nonempty array`);
        }
        for (const part of value) {
          if (!isPlainObject(part))
            throw new MongoCommandError('BadValue', `${key} argument's entries must be objects`);
          validateFilter(part, true);
        }
      }
      if (key === '$elemMatch' && isPlainObject(value)) validateElemMatch(value);
      if (key === '$not' && isPlainObject(value)) validateFilter(value, false);
    } else if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
      validateFilter(value, false);
    }
  }
}

function validateElemMatch(value: Document): void {
  const keys = Object.keys(value);
  if (keys.every((k) => k.startsWith('$')) && keys.some((k) => QUERY_OPERATORS.has(k))) {
    validateFilter(value, false);
  } else {
    validateFilter(value, true);
  }
}

export type Matcher = (doc: Record<string, unknown>) => boolean;

// mingo implements some stages ($setWindowFields) with $function internally, so scripting stays
// on in mingo and client input is screened instead (rejectScripts).
// The operators comparing numbers are the engine's own (exact across numeric types).
export const MINGO_OPTIONS = {
  context: Context.init(MINGO_OPERATORS as unknown as Parameters<typeof Context.init>[0]),
} as const;

const SCRIPT_OPERATORS = new Set(['$where', '$function', '$accumulator']);

/** Clients must not run code in the server: `$where`, `$function` and `$accumulator` are refused. */
export function rejectScripts(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) rejectScripts(v);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, v] of Object.entries(value)) {
    if (SCRIPT_OPERATORS.has(key)) {
      throw new MongoCommandError(
        'BadValue',
        `${key} is not allowed: embedded-mongo does not run server-side JavaScript`,
      );
    }
    rejectScripts(v);
  }
}

function isSimpleScalar(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean') return true;
  const rank = canonicalRank(value);
  return value instanceof Date || rank === 8 || rank === 3;
}

/**
 * `{ a: 1, 'b.c': 'x' }` needs no query engine: equality on scalars (a field or any array element
 * equal to the value). Compiling a mingo Query costs more than the rest of a point lookup, so
 * these filters, the shape of nearly every `_id` or key lookup, are matched directly.
 */
function equalityMatcher(filter: Document): Matcher | undefined {
  const terms: Array<(doc: Document) => boolean> = [];
  for (const [path, raw] of Object.entries(filter)) {
    if (path.startsWith('$')) return undefined;
    const term = isPlainObject(raw) ? operatorTerm(path, raw) : equalityTerm(path, raw);
    if (!term) return undefined;
    terms.push(term);
  }
  return (doc) => terms.every((term) => term(doc));
}

/** A field (or any element of an array field) whose value satisfies `test`. */
function someValue(doc: Document, path: string, test: (value: unknown) => boolean): boolean {
  return collectPathValues(doc, path).some((v) =>
    Array.isArray(v) ? v.some((e) => !Array.isArray(e) && test(e)) : test(v),
  );
}

function equalityTerm(path: string, value: unknown): ((doc: Document) => boolean) | undefined {
  if (!isSimpleScalar(value)) return undefined;
  const key = keyOf(value);
  return (doc) => someValue(doc, path, (v) => keyOf(v) === key);
}

const RANGE_TESTS: Readonly<Record<string, (order: number) => boolean>> = {
  $lt: (order) => order < 0,
  $lte: (order) => order <= 0,
  $gt: (order) => order > 0,
  $gte: (order) => order >= 0,
};

/**
 * `{ $eq }` on a scalar, or ranges (`$lt`, `$lte`, `$gt`, `$gte`) against a number or a date: the
 * guards and windows of nearly every update. Like mongod, a range only compares values of the
 * operand's type bracket (numbers of any width with numbers, dates with dates).
 */
function operatorTerm(path: string, spec: Document): ((doc: Document) => boolean) | undefined {
  const keys = Object.keys(spec);
  if (keys.length === 1 && keys[0] === '$eq') return equalityTerm(path, spec.$eq);
  const tests: Array<(value: unknown) => boolean> = [];
  for (const op of keys) {
    const order = RANGE_TESTS[op];
    const operand = spec[op];
    const bracket = canonicalRank(operand);
    const comparable =
      (typeof operand === 'number' && !Number.isNaN(operand)) || operand instanceof Date;
    if (!order || !comparable) return undefined;
    tests.push((v) => canonicalRank(v) === bracket && order(compareValues(v, operand)));
  }
  return (doc) => tests.every((test) => someValue(doc, path, test));
}

/**
 * `variables` are the command's `let` constants, seen as `$$name` inside `$expr`; a `collation`
 * makes string comparisons (equality, `$in`, ranges) follow it.
 */
export function compileFilter(
  filter: Document | undefined,
  variables?: Document,
  collation?: Collation | null,
): Matcher {
  const f = filter ?? {};
  if (!isPlainObject(f)) throw new MongoCommandError('TypeMismatch', 'filter must be an object');
  if (Object.keys(f).length === 0) return () => true;
  rejectScripts(f);
  const simple = collation ? undefined : equalityMatcher(f);
  if (simple) return simple;
  validateFilter(f, true);
  try {
    const query = new Query(
      f,
      variables || collation ? { ...MINGO_OPTIONS, variables, collation } : MINGO_OPTIONS,
    );
    return (doc) => query.test(doc);
  } catch (error) {
    throw asCommandError(error);
  }
}

type StringOrder = (a: string, b: string) => number;

function sortKey(
  doc: Record<string, unknown>,
  path: string,
  descending: boolean,
  strings: StringOrder | undefined,
): unknown {
  let best: unknown;
  let found = false;
  for (const value of collectPathValues(doc, path)) {
    const candidates = Array.isArray(value) ? (value.length === 0 ? [undefined] : value) : [value];
    for (const c of candidates) {
      if (!found) {
        best = c;
        found = true;
        continue;
      }
      const cmp = compareValues(c, best, strings);
      if (descending ? cmp > 0 : cmp < 0) best = c;
    }
  }
  return best;
}

/**
 * Sorts as MongoDB does: canonical type order; arrays by their smallest (ascending) or largest
 * (descending) element; strings by the collation when there is one.
 */
export function sortDocuments<T>(
  items: T[],
  sort: Document | undefined,
  docOf: (item: T) => Record<string, unknown>,
  collation?: Collation | null,
): T[] {
  if (!sort || Object.keys(sort).length === 0) return items;
  const fields = Object.entries(sort).map(([path, dir]) => {
    if (dir !== 1 && dir !== -1) {
      throw new MongoCommandError(
        'BadValue',
        `$sort key ordering must be 1 (for ascending) or -1 (for descending)`,
      );
    }
    return { path, desc: dir === -1 };
  });
  const strings = collation?.compare;
  const keyed = items.map((item) => {
    const doc = docOf(item);
    return { item, keys: fields.map((f) => sortKey(doc, f.path, f.desc, strings)) };
  });
  keyed.sort((a, b) => {
    for (let i = 0; i < fields.length; i++) {
      const c = compareValues(a.keys[i], b.keys[i], strings);
      if (c !== 0) return fields[i].desc ? -c : c;
    }
    return 0;
  });
  return keyed.map((k) => k.item);
}

export function sortRecords(
  records: StoredDoc[],
  sort: Document | undefined,
  collation?: Collation | null,
): StoredDoc[] {
  return sortDocuments(records, sort, (r) => r.doc, collation);
}

/** Projects view documents with mingo, then restores BSON types of the fields that remain. */
export function projectRecords(records: StoredDoc[], projection: Document | undefined): Document[] {
  if (!projection || Object.keys(projection).length === 0) {
    return records.map((r) => fromView(r.doc, r.hints));
  }
  try {
    const projector = new Query({}, MINGO_OPTIONS);
    return records.map((r) => {
      const [projected] = projector.find<Record<string, unknown>>([r.doc], projection).all();
      return idFirst(fromView(projected, r.hints));
    });
  } catch (error) {
    throw asCommandError(error);
  }
}
