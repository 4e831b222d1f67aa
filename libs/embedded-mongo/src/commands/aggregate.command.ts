import { type Document, ObjectId } from 'bson';
import {
  type TypeHints,
  fromView,
  idFirst,
  isPlainObject,
  keyOf,
  toView,
} from '../bson/bson-values';
import { type ChangeSet } from '../engine/catalog';
import { CollectionStore, type StoredDoc } from '../engine/collection-store';
import { type Collation, parseCollation } from '../engine/collation';
import { MongoCommandError, asCommandError } from '../engine/mongo-error';
import { runPipeline } from '../engine/mingo-aggregator';
import { renderValue } from '../engine/render-value';
import { MINGO_OPTIONS, compileFilter, rejectScripts } from '../engine/query-tools';
import {
  type CommandContext,
  type CommandHandler,
  optionalDocument,
  optionalNumber,
  parseLet,
  requireArray,
  truthy,
  withChanges,
} from './command-context';

interface Target {
  db: string;
  coll: string;
}

function parseTarget(ctx: CommandContext, value: unknown, stage: string): Target {
  if (typeof value === 'string') return { db: ctx.db, coll: value };
  if (isPlainObject(value) && typeof value.coll === 'string') {
    return { db: typeof value.db === 'string' ? value.db : ctx.db, coll: value.coll };
  }
  throw new MongoCommandError(
    'FailedToParse',
    `${stage} requires a collection name or { db, coll }`,
  );
}

const aggregate: CommandHandler = async (ctx) => {
  const source = ctx.body.aggregate as unknown;
  const pipeline = requireArray(ctx.body, 'pipeline') as Document[];
  if (source !== 1 && typeof source !== 'string') {
    throw new MongoCommandError(
      'FailedToParse',
      "BSON field 'aggregate' must be a collection name or 1",
    );
  }
  pipeline.forEach((stage, i) => {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      throw new MongoCommandError(
        'FailedToParse',
        'A pipeline stage specification object must contain exactly one field.',
      );
    }
    const [name] = Object.keys(stage);
    if (name === '$changeStream') {
      throw new MongoCommandError(
        'Location40573',
        'The $changeStream stage is only supported on replica sets',
      );
    }
    if ((name === '$out' || name === '$merge') && i !== pipeline.length - 1) {
      throw new MongoCommandError(
        'Location40324' as const,
        `${name} can only be the final stage in the pipeline`,
      );
    }
  });
  rejectScripts(pipeline);
  const cursorOptions = optionalDocument(ctx.body, 'cursor');
  if (!cursorOptions && ctx.body.explain === undefined) {
    throw new MongoCommandError(
      'FailedToParse',
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  const last = pipeline.at(-1);
  const writeStage = last && ('$out' in last || '$merge' in last) ? last : undefined;
  const stages = writeStage ? pipeline.slice(0, -1) : pipeline;
  const { results, hintsByDoc } = aggregateOn(
    ctx,
    typeof source === 'string' ? source : undefined,
    stages,
    parseLet(ctx.body.let),
    parseCollation(ctx.body.collation),
  );
  const ns = `${ctx.db}.${typeof source === 'string' ? source : '$cmd.aggregate'}`;
  if (writeStage) {
    await withChanges(ctx.state, (changes) => {
      if ('$out' in writeStage)
        writeOut(ctx, parseTarget(ctx, writeStage.$out, '$out'), results, hintsByDoc, changes);
      else writeMerge(ctx, writeStage.$merge, results, hintsByDoc, changes);
    });
    return { cursor: ctx.state.cursors.firstBatch(ns, [], 0), ok: 1 };
  }
  const docs = results.map((r) => idFirst(fromView(r, hintsByDoc.get(r))));
  return {
    cursor: ctx.state.cursors.firstBatch(
      ns,
      docs,
      optionalNumber(cursorOptions ?? {}, 'batchSize'),
    ),
    ok: 1,
  };
};

// mongod's limit on views defined on views.
const MAX_VIEW_DEPTH = 20;

/** A view is its pipeline over what it reads: expanded down to the collection at the bottom. */
function resolveSource(
  ctx: CommandContext,
  name: string,
  stages: Document[],
): { store: CollectionStore | undefined; stages: Document[] } {
  let store = ctx.state.catalog.get(ctx.db, name);
  let all = stages;
  for (let depth = 0; store?.view; depth++) {
    if (depth === MAX_VIEW_DEPTH) {
      throw new MongoCommandError(
        'ViewDepthLimitExceeded',
        `View depth too deep or view cycle detected; maximum depth is ${MAX_VIEW_DEPTH}`,
      );
    }
    all = [...store.view.pipeline, ...all];
    store = ctx.state.catalog.get(ctx.db, store.view.viewOn);
  }
  return { store, stages: all };
}

/**
 * Runs stages over a collection or a view (none: `aggregate: 1`); `$lookup` and friends read other
 * collections and views the same way. Documents passing through unchanged keep their BSON types.
 */
export function aggregateOn(
  ctx: CommandContext,
  source: string | undefined,
  stages: Document[],
  variables?: Document,
  explicitCollation?: Collation | null,
): { results: Record<string, unknown>[]; hintsByDoc: Map<object, TypeHints> } {
  const resolved =
    source === undefined ? { store: undefined, stages } : resolveSource(ctx, source, stages);
  const input: StoredDoc[] = resolved.store ? [...resolved.store.records.values()] : [];
  // The default is the named collection's, or the view's own: a view does not inherit its source's.
  const named = source === undefined ? undefined : ctx.state.catalog.get(ctx.db, source);
  if (named?.view && explicitCollation !== undefined) {
    if ((explicitCollation?.id ?? 'simple') !== (named.collation?.id ?? 'simple')) {
      throw new MongoCommandError(
        'OptionNotSupportedOnView',
        `Cannot override a view's default collation`,
      );
    }
  }
  const collation =
    explicitCollation === undefined ? named?.collation : (explicitCollation ?? undefined);
  const hintsByDoc = new Map<object, TypeHints>();
  for (const r of input) if (r.hints) hintsByDoc.set(r.doc, r.hints);
  try {
    const results = runPipeline<Record<string, unknown>>(
      resolved.stages,
      input.map((r) => r.doc),
      {
        ...MINGO_OPTIONS,
        variables,
        collation,
        // `$lookup` and `$unionWith` compare with this pipeline's collation, not the foreign
        // collection's; a foreign view must have this very collation (167 otherwise).
        collectionResolver: (name: string) =>
          aggregateOn(ctx, name, [], undefined, collation ?? null).results,
      },
    );
    return { results, hintsByDoc };
  } catch (error) {
    throw asCommandError(error);
  }
}

/** A find, count or distinct on a view: its filter, sort, skip, limit and projection as stages. */
export function findOnView(
  ctx: CommandContext,
  view: string,
  spec: {
    filter: Document;
    sort?: Document;
    skip?: number;
    limit?: number;
    projection?: Document;
    collation?: Collation | null;
  },
  variables?: Document,
): Document[] {
  compileFilter(spec.filter, variables, spec.collation);
  const stages: Document[] = [];
  if (Object.keys(spec.filter).length > 0) stages.push({ $match: spec.filter });
  if (spec.sort && Object.keys(spec.sort).length > 0) stages.push({ $sort: spec.sort });
  if (spec.skip) stages.push({ $skip: spec.skip });
  if (spec.limit) stages.push({ $limit: Math.abs(spec.limit) });
  if (spec.projection && Object.keys(spec.projection).length > 0)
    stages.push({ $project: spec.projection });
  const { results, hintsByDoc } = aggregateOn(ctx, view, stages, variables, spec.collation);
  return results.map((r) => idFirst(fromView(r, hintsByDoc.get(r))));
}

function rejectViewTarget(store: CollectionStore | undefined): void {
  if (!store?.view) return;
  throw new MongoCommandError(
    'CommandNotSupportedOnView',
    `Namespace ${store.ns} is a view, not a collection`,
  );
}

function recordOf(doc: Record<string, unknown>, hintsByDoc: Map<object, TypeHints>): StoredDoc {
  const hints = hintsByDoc.get(doc);
  const { doc: view, hints: fresh } = toView({ ...doc });
  const { _id, ...rest } = view;
  return { doc: { _id: _id === undefined ? new ObjectId() : _id, ...rest }, hints: hints ?? fresh };
}

/** `$out`: replaces the target's documents all at once, keeping its indexes; fails without change. */
function writeOut(
  ctx: CommandContext,
  target: Target,
  results: Record<string, unknown>[],
  hintsByDoc: Map<object, TypeHints>,
  changes: ChangeSet,
): void {
  const catalog = ctx.state.catalog;
  const bypass = truthy(ctx.body.bypassDocumentValidation);
  const existing = catalog.get(target.db, target.coll);
  rejectViewTarget(existing);
  const staged = new CollectionStore(target.db, target.coll, existing?.options ?? {});
  for (const spec of existing?.indexSpecs().slice(1) ?? []) staged.addIndexUnchecked(spec);
  for (const doc of results) {
    const record = recordOf(doc, hintsByDoc);
    const idKey = keyOf(record.doc._id);
    staged.checkWrite(idKey, record, true, bypass);
    staged.put(idKey, record);
  }
  catalog.drop(target.db, target.coll, changes);
  const store = catalog.ensure(target.db, target.coll, changes, staged.options);
  for (const spec of staged.indexSpecs().slice(1)) catalog.createIndex(store, spec, changes);
  for (const [idKey, record] of staged.records) catalog.put(store, idKey, record, changes);
}

/** `$merge`: matches each result on the `on` fields and merges, replaces, keeps or fails. */
function writeMerge(
  ctx: CommandContext,
  spec: unknown,
  results: Record<string, unknown>[],
  hintsByDoc: Map<object, TypeHints>,
  changes: ChangeSet,
): void {
  const options: Document = isPlainObject(spec) && !('coll' in spec) ? spec : { into: spec };
  const target = parseTarget(ctx, options.into, '$merge');
  const on: string[] =
    options.on === undefined ? ['_id'] : Array.isArray(options.on) ? options.on : [options.on];
  const whenMatched: unknown = options.whenMatched ?? 'merge';
  const whenNotMatched: unknown = options.whenNotMatched ?? 'insert';
  const catalog = ctx.state.catalog;
  const bypass = truthy(ctx.body.bypassDocumentValidation);
  rejectViewTarget(catalog.get(target.db, target.coll));
  const store = catalog.ensure(target.db, target.coll, changes);
  for (const result of results) {
    const record = recordOf(result, hintsByDoc);
    const filter: Document = {};
    for (const field of on) {
      const value = record.doc[field];
      if (value === undefined && field !== '_id') {
        throw new MongoCommandError(
          'BadValue',
          `$merge write error: 'on' field '${field}' cannot be missing, null, undefined or an array`,
        );
      }
      filter[field] = value;
    }
    const hasId = '_id' in result;
    const [match] =
      on.length === 1 && on[0] === '_id' && !hasId ? [] : store.find(filter, compileFilter(filter));
    if (!match) {
      if (whenNotMatched === 'discard') continue;
      if (whenNotMatched === 'fail') {
        throw new MongoCommandError(
          'BadValue',
          '$merge could not find a matching document in the target collection for at least one document in the source collection',
        );
      }
      const idKey = keyOf(record.doc._id);
      store.checkWrite(idKey, record, true, bypass);
      catalog.put(store, idKey, record, changes);
      continue;
    }
    let next: StoredDoc;
    if (whenMatched === 'keepExisting') continue;
    if (whenMatched === 'fail') {
      throw new MongoCommandError(
        'DuplicateKey',
        `E11000 duplicate key error collection: ${store.ns} index: _id_ dup key: { _id: ${renderValue(match.doc._id)} }`,
        {
          keyPattern: { _id: 1 },
          keyValue: { _id: match.doc._id },
        },
      );
    }
    if (whenMatched === 'replace') {
      const { _id: _ignored, ...rest } = record.doc;
      next = { doc: { _id: match.doc._id, ...rest }, hints: record.hints };
    } else if (whenMatched === 'merge') {
      const { _id: _ignored, ...rest } = record.doc;
      const { hints } = toView({ ...fromView(record.doc, record.hints) });
      next = { doc: { ...match.doc, ...rest }, hints: mergeOwn(match.hints, hints) };
    } else if (Array.isArray(whenMatched)) {
      try {
        const [updated] = runPipeline<Record<string, unknown>>(
          whenMatched as Document[],
          [match.doc],
          { ...MINGO_OPTIONS, variables: { new: record.doc } },
        );
        next = { doc: { ...updated, _id: match.doc._id }, hints: match.hints };
      } catch (error) {
        throw asCommandError(error);
      }
    } else {
      throw new MongoCommandError(
        'BadValue',
        `Enumeration value '${String(whenMatched)}' for field 'whenMatched' is not a valid value.`,
      );
    }
    const idKey = keyOf(match.doc._id);
    store.checkWrite(idKey, next, false, bypass);
    catalog.put(store, idKey, next, changes);
  }
}

function mergeOwn(a: TypeHints | undefined, b: TypeHints | undefined): TypeHints | undefined {
  if (!a) return b;
  if (!b) return a;
  return new Map([...a, ...b]);
}

export const aggregateCommands: Record<string, CommandHandler> = { aggregate };
