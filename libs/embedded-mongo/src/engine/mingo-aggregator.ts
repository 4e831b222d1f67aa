import { Context } from 'mingo';
import { type Document } from 'bson';
import { MongoCommandError, asCommandError } from './mongo-error';
import { collationOf } from './collation';
import { COLLATED_PIPELINE_OPERATORS } from './collated-operators';
import { MINGO_OPERATORS, sortDocuments } from './query-tools';

// mingo's public subpath exports, which the project's node10 type resolution cannot see; typed
// here by the little this module uses.
/* eslint-disable @typescript-eslint/no-require-imports */
interface LazyIterator {
  transform(fn: (items: unknown[]) => unknown): LazyIterator;
}
const { Aggregator: BaseAggregator } = require('mingo/aggregator') as {
  Aggregator: new (
    pipeline: Document[],
    options: Record<string, unknown>,
  ) => { run<T>(collection: unknown[]): T[] };
};
const { Lazy } = require('mingo/lazy') as { Lazy: (items: unknown[]) => LazyIterator };
/* eslint-enable @typescript-eslint/no-require-imports */

/** `$sort` with MongoDB's ordering across types (mingo orders mixed types its own way). */
function mongoSort(
  collection: LazyIterator,
  sortKeys: Document,
  options?: { collation?: unknown },
): LazyIterator {
  const collation = collationOf(options);
  return collection.transform((items) =>
    Lazy(sortDocuments(items, sortKeys, (item) => item as Record<string, unknown>, collation)),
  );
}

/**
 * `$sample` as MongoDB draws it: `size` distinct documents in random order, or all of them when there are fewer
 * (mingo draws with replacement, repeating documents and yielding holes from an empty input).
 */
function mongoSample(collection: LazyIterator, spec: unknown): LazyIterator {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new MongoCommandError(
      'Location28745',
      'the $sample stage specification must be an object',
    );
  }
  const unknown = Object.keys(spec).find((key) => key !== 'size');
  if (unknown !== undefined) {
    throw new MongoCommandError('Location28748', `unrecognized option to $sample: ${unknown}`);
  }
  const raw = (spec as { size?: unknown }).size;
  if (raw === undefined) {
    throw new MongoCommandError('Location28749', '$sample stage must specify a size');
  }
  if (typeof raw !== 'number' || Number.isNaN(raw)) {
    throw new MongoCommandError('Location28746', 'size argument to $sample must be a number');
  }
  if (raw < 0) {
    throw new MongoCommandError('Location28747', 'size argument to $sample must not be negative');
  }
  const size = Math.floor(raw);
  return collection.transform((items) => {
    const pool = items.slice();
    const take = Math.min(size, pool.length);
    for (let i = 0; i < take; i += 1) {
      const j = i + Math.floor(Math.random() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return Lazy(pool.slice(0, take));
  });
}

const CONTEXT = Context.init({
  ...MINGO_OPERATORS,
  pipeline: {
    ...MINGO_OPERATORS.pipeline,
    ...COLLATED_PIPELINE_OPERATORS,
    $sort: mongoSort,
    $sample: mongoSample,
  },
} as unknown as Parameters<typeof Context.init>[0]);

/** Runs a pipeline with all of mingo's operators, `$sort` replaced by the MongoDB-ordered one. */
export function runPipeline<T>(
  stages: Document[],
  input: unknown[],
  options: Record<string, unknown> = {},
): T[] {
  return new BaseAggregator(stages, { ...options, context: CONTEXT }).run<T>(input);
}

/** Evaluates each field of `spec` as an expression over an empty document (`let` constants). */
export function evaluateConstants(spec: Document): Document {
  try {
    const [values] = runPipeline<Document>([{ $replaceWith: spec }], [{}]);
    return values;
  } catch (error) {
    throw asCommandError(error);
  }
}
