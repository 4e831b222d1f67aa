import { type Document } from 'bson';
import { compareValues, isPlainObject } from '../bson/bson-values';
import { collationOf, hasString } from './collation';

type ExpressionOperator = (obj: unknown, expr: unknown, options: unknown) => unknown;
type Accumulator = (collection: unknown[], expr: unknown, options: unknown) => unknown;
interface LazyIterator {
  transform(fn: (items: unknown[]) => unknown): LazyIterator;
  collect(): unknown[];
}
type PipelineOperator = (collection: LazyIterator, expr: unknown, options: unknown) => LazyIterator;

// mingo's public subpath exports, invisible to the project's node10 type resolution.
/* eslint-disable @typescript-eslint/no-require-imports */
const EXPRESSION = require('mingo/operators/expression') as Record<string, ExpressionOperator>;
const ACCUMULATOR = require('mingo/operators/accumulator') as Record<string, Accumulator>;
const PIPELINE = require('mingo/operators/pipeline') as Record<string, PipelineOperator>;
const { evalExpr } = require('mingo/core') as {
  evalExpr: (obj: unknown, expr: unknown, options: unknown) => unknown;
};
const { resolve } = require('mingo/util') as { resolve: (obj: unknown, path: string) => unknown };
const { Lazy } = require('mingo/lazy') as { Lazy: (items: unknown[]) => LazyIterator };
const { Query } = require('mingo/query') as {
  Query: new (condition: Document, options: unknown) => { test(doc: unknown): boolean };
};
/* eslint-enable @typescript-eslint/no-require-imports */

/*
 * Under a collation mongod compares strings by it wherever an aggregation compares values: `$group`
 * keys, `$addToSet`, `$lookup` and `$graphLookup` equality, the set expressions, `$in`,
 * `$indexOfArray`, `$sortArray` (and the comparisons and `$min`/`$max`, see
 * numeric-expression-operators). mingo compares binary, so these operators take over when a
 * collation is in play and hand everything else to mingo's own.
 */

/** Evaluated arguments handed back to a mingo operator without being evaluated again. */
function literals(args: unknown): unknown {
  return Array.isArray(args) ? args.map((v: unknown) => ({ $literal: v })) : { $literal: args };
}

/**
 * An expression operator that evaluates its arguments and, when a collation is in play, they are
 * arrays as expected and hold a string, answers with `collated`; otherwise mingo's operator does.
 */
function collatedExpression(
  name: string,
  collated: (args: unknown[], key: (value: unknown) => string) => unknown,
  shapeOk: (args: unknown[]) => boolean,
): ExpressionOperator {
  return (obj, expr, options) => {
    const collation = collationOf(options);
    if (!collation) return EXPRESSION[name](obj, expr, options);
    const args = evalExpr(obj, expr, options);
    if (Array.isArray(expr) && Array.isArray(args) && shapeOk(args) && hasString(args)) {
      return collated(args, collation.equalityKey());
    }
    return EXPRESSION[name](obj, Array.isArray(expr) ? literals(args) : expr, options);
  };
}

const allArrays = (args: unknown[]): boolean => args.every(Array.isArray);

function uniqueBy(values: readonly unknown[], key: (value: unknown) => string): unknown[] {
  const seen = new Map<string, unknown>();
  for (const v of values) {
    const k = key(v);
    if (!seen.has(k)) seen.set(k, v);
  }
  return [...seen.values()];
}

function keySet(values: readonly unknown[], key: (value: unknown) => string): Set<string> {
  return new Set(values.map(key));
}

export const COLLATED_EXPRESSION_OPERATORS: Record<string, ExpressionOperator> = {
  $in: collatedExpression(
    '$in',
    ([item, array], key) => {
      const wanted = key(item);
      return (array as unknown[]).some((v) => key(v) === wanted);
    },
    (args) => args.length === 2 && Array.isArray(args[1]),
  ),
  $indexOfArray: collatedExpression(
    '$indexOfArray',
    ([array, search, start, end], key) => {
      const items = array as unknown[];
      const from = (start as number | undefined) ?? 0;
      const to = Math.min((end as number | undefined) ?? items.length, items.length);
      const wanted = key(search);
      for (let i = from; i < to; i++) if (key(items[i]) === wanted) return i;
      return -1;
    },
    (args) =>
      Array.isArray(args[0]) &&
      args.slice(2).every((v) => v === undefined || (Number.isInteger(v) && (v as number) >= 0)),
  ),
  $setUnion: collatedExpression(
    '$setUnion',
    (args, key) => uniqueBy((args as unknown[][]).flat(), key),
    allArrays,
  ),
  $setIntersection: collatedExpression(
    '$setIntersection',
    (args, key) => {
      const [first, ...rest] = args as unknown[][];
      if (!first) return [];
      const others = rest.map((array) => keySet(array, key));
      return uniqueBy(first, key).filter((v) => others.every((set) => set.has(key(v))));
    },
    allArrays,
  ),
  $setDifference: collatedExpression(
    '$setDifference',
    ([a, b], key) => {
      const removed = keySet(b as unknown[], key);
      return uniqueBy(a as unknown[], key).filter((v) => !removed.has(key(v)));
    },
    (args) => args.length === 2 && allArrays(args),
  ),
  $setEquals: collatedExpression(
    '$setEquals',
    (args, key) => {
      const [first, ...rest] = (args as unknown[][]).map((array) => keySet(array, key));
      return rest.every((set) => set.size === first.size && [...set].every((k) => first.has(k)));
    },
    (args) => args.length >= 2 && allArrays(args),
  ),
  $sortArray: collatedSortArray,
  $setIsSubset: collatedExpression(
    '$setIsSubset',
    ([a, b], key) => {
      const superset = keySet(b as unknown[], key);
      return (a as unknown[]).every((v) => superset.has(key(v)));
    },
    (args) => args.length === 2 && allArrays(args),
  ),
};

/** `$sortArray` under a collation: MongoDB's order with strings by the collation. */
function collatedSortArray(obj: unknown, expr: unknown, options: unknown): unknown {
  const collation = collationOf(options);
  if (!collation || !isPlainObject(expr)) return EXPRESSION.$sortArray(obj, expr, options);
  const { input, sortBy } = evalExpr(obj, expr, options) as { input: unknown; sortBy: unknown };
  const strings = collation.compare;
  if (Array.isArray(input) && hasString(input)) {
    if (sortBy === 1 || sortBy === -1) {
      return [...input].sort((a, b) => sortBy * compareValues(a, b, strings));
    }
    const fields = isPlainObject(sortBy) ? Object.entries(sortBy) : [];
    if (fields.length > 0 && fields.every(([, dir]) => dir === 1 || dir === -1)) {
      return [...input].sort((a, b) => {
        for (const [path, dir] of fields) {
          const c = compareValues(resolve(a, path), resolve(b, path), strings);
          if (c !== 0) return c * (dir as number);
        }
        return 0;
      });
    }
  }
  return EXPRESSION.$sortArray(
    obj,
    { input: { $literal: input }, sortBy: { $literal: sortBy } },
    options,
  );
}

export const COLLATED_ACCUMULATORS: Record<string, Accumulator> = {
  /** Values equal under the collation are added once (the first one seen). */
  $addToSet: (collection, expr, options) => {
    const collation = collationOf(options);
    if (!collation) return ACCUMULATOR.$addToSet(collection, expr, options);
    return uniqueBy(
      ACCUMULATOR.$push(collection, expr, options) as unknown[],
      collation.equalityKey(),
    );
  },
};

/**
 * `$group` under a collation: documents whose `_id` values the collation calls equal form one group,
 * whose `_id` is the first of them; mingo's `$group` computes each group's accumulators.
 */
function collatedGroup(collection: LazyIterator, expr: unknown, options: unknown): LazyIterator {
  const collation = collationOf(options);
  if (!collation || !isPlainObject(expr) || !('_id' in expr)) {
    return PIPELINE.$group(collection, expr, options);
  }
  return collection.transform((items) => {
    const key = collation.equalityKey();
    const groups = new Map<string, { id: unknown; docs: unknown[] }>();
    for (const item of items) {
      const id = evalExpr(item, expr._id, options) ?? null;
      const k = key(id);
      const group = groups.get(k);
      if (group) group.docs.push(item);
      else groups.set(k, { id, docs: [item] });
    }
    const perGroup: Document = { ...expr, _id: { $literal: null } };
    const out: unknown[] = [];
    for (const { id, docs } of groups.values()) {
      const [computed] = PIPELINE.$group(Lazy(docs), perGroup, options).collect() as Document[];
      out.push({ ...computed, _id: id });
    }
    return Lazy(out);
  });
}

/**
 * `$lookup` with `localField`/`foreignField` under a collation: a local value matches foreign values
 * (and elements of foreign arrays) the collation calls equal to it. The aggregation's collation
 * applies; the foreign collection's default collation does not, as in mongod.
 */
function collatedLookup(collection: LazyIterator, expr: unknown, options: unknown): LazyIterator {
  const join = collatedJoin(expr, options, ['localField', 'foreignField']);
  if (!join) return PIPELINE.$lookup(collection, expr, options);
  const { localField, foreignField, as } = join.spec as Record<string, string>;
  const pipeline = (join.spec.pipeline as Document[] | undefined) ?? [];
  const { key } = join;
  const byKey = indexByKey(join.foreign, foreignField, key);
  const matching = (obj: unknown): unknown[] => {
    const local = resolve(obj, localField) ?? null;
    if (!Array.isArray(local)) return byKey.get(key(local)) ?? [];
    return [...new Set(local.flatMap((v) => byKey.get(key(v)) ?? []))];
  };
  return collection.transform((items) =>
    Lazy(
      items.map((obj) => {
        const matched = matching(obj);
        if (pipeline.length === 0) return { ...(obj as Document), [as]: matched };
        // The matched documents through the sub-pipeline, with the stage's `let` variables.
        const stage = { from: matched, pipeline, let: join.spec.let, as };
        const [joined] = PIPELINE.$lookup(Lazy([obj]), stage, options).collect();
        return joined;
      }),
    ),
  );
}

/**
 * A join stage to run under the operation's collation: `from` names a collection (read through
 * the resolver, so a foreign view must share the collation) and `as` and `fields` are strings.
 * Undefined when there is no collation or the stage is not of that shape (mingo handles it).
 */
function collatedJoin(
  expr: unknown,
  options: unknown,
  fields: string[],
): { spec: Document; foreign: unknown[]; key: (value: unknown) => string } | undefined {
  const collation = collationOf(options);
  const resolver = (options as { collectionResolver?: (name: string) => unknown[] })
    .collectionResolver;
  if (!collation || !resolver || !isPlainObject(expr) || typeof expr.from !== 'string') {
    return undefined;
  }
  if (![...fields, 'as'].every((field) => typeof expr[field] === 'string')) return undefined;
  return { spec: expr, foreign: resolver(expr.from), key: collation.equalityKey() };
}

/** Documents by the key of each value `path` holds in them (array elements one by one). */
function indexByKey(
  docs: readonly unknown[],
  path: string,
  key: (value: unknown) => string,
): Map<string, unknown[]> {
  const byKey = new Map<string, unknown[]>();
  for (const doc of docs) {
    for (const v of valuesAt(doc, path)) {
      const k = key(v);
      const found = byKey.get(k);
      if (found) found.push(doc);
      else byKey.set(k, [doc]);
    }
  }
  return byKey;
}

/** The values a path holds, array elements one by one; null for none. */
function valuesAt(doc: unknown, path: string): unknown[] {
  const value = resolve(doc, path) ?? null;
  return Array.isArray(value) ? value : [value];
}

/**
 * `$graphLookup` under a collation: each step follows `connectFromField` values to the documents
 * whose `connectToField` the collation calls equal to them (breadth first, each document once, at
 * the depth it is first reached), within `restrictSearchWithMatch` and `maxDepth`.
 */
function collatedGraphLookup(
  collection: LazyIterator,
  expr: unknown,
  options: unknown,
): LazyIterator {
  const join = collatedJoin(expr, options, ['connectFromField', 'connectToField']);
  const maxDepth: unknown = join?.spec.maxDepth ?? Infinity;
  if (!join || typeof maxDepth !== 'number') {
    return PIPELINE.$graphLookup(collection, expr, options);
  }
  const { spec, key } = join;
  const { connectFromField, connectToField, as } = spec as Record<string, string>;
  const depthField = typeof spec.depthField === 'string' ? spec.depthField : undefined;
  const restrict = new Query((spec.restrictSearchWithMatch as Document | undefined) ?? {}, options);
  const byKey = indexByKey(
    join.foreign.filter((doc) => restrict.test(doc)),
    connectToField,
    key,
  );
  return collection.transform((items) =>
    Lazy(
      items.map((obj) => {
        const start = evalExpr(obj, spec.startWith, options) ?? null;
        const reached = new Map<unknown, number>();
        let frontier = Array.isArray(start) ? start : [start];
        for (let depth = 0; frontier.length > 0 && depth <= maxDepth; depth++) {
          const next: unknown[] = [];
          for (const value of frontier) {
            for (const doc of byKey.get(key(value)) ?? []) {
              if (reached.has(doc)) continue;
              reached.set(doc, depth);
              next.push(...valuesAt(doc, connectFromField));
            }
          }
          frontier = next;
        }
        const found = [...reached].map(([doc, depth]) =>
          depthField ? { ...(doc as Document), [depthField]: depth } : doc,
        );
        return { ...(obj as Document), [as]: found };
      }),
    ),
  );
}

export const COLLATED_PIPELINE_OPERATORS: Record<string, PipelineOperator> = {
  $group: collatedGroup,
  $lookup: collatedLookup,
  $graphLookup: collatedGraphLookup,
};
