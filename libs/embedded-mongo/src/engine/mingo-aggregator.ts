import { Context } from 'mingo';
import { type Document } from 'bson';
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
function mongoSort(collection: LazyIterator, sortKeys: Document): LazyIterator {
  return collection.transform((items) =>
    Lazy(sortDocuments(items, sortKeys, (item) => item as Record<string, unknown>)),
  );
}

const CONTEXT = Context.init({
  ...MINGO_OPERATORS,
  pipeline: { ...MINGO_OPERATORS.pipeline, $sort: mongoSort },
} as unknown as Parameters<typeof Context.init>[0]);

/** Runs a pipeline with all of mingo's operators, `$sort` replaced by the MongoDB-ordered one. */
export function runPipeline<T>(
  stages: Document[],
  input: unknown[],
  options: Record<string, unknown> = {},
): T[] {
  return new BaseAggregator(stages, { ...options, context: CONTEXT }).run<T>(input);
}
