import { type Document, Long, ObjectId } from 'bson';
import { isPlainObject, keyOf, toView, toViewValue, fromView } from '../bson/bson-values';
import { type CollectionStore, type QueryStats, type StoredDoc } from '../engine/collection-store';
import { MongoCommandError, asCommandError } from '../engine/mongo-error';
import { type Collation, foldStrings, parseCollation } from '../engine/collation';
import { compileFilter, projectRecords, sortRecords } from '../engine/query-tools';
import { applyModifier, buildUpsert, parseModifier } from '../engine/update-engine';
import { MAX_BSON_BYTES } from '../wire/wire-protocol';
import { findOnView } from './aggregate.command';
import { type Tail } from './cursor-registry';
import {
  type CommandContext,
  type CommandHandler,
  collectionName,
  optionalDocument,
  optionalNumber,
  parseLet,
  requireArray,
  truthy,
  withChanges,
} from './command-context';

interface WriteError {
  index: number;
  code: number;
  errmsg: string;
  [extra: string]: unknown;
}

function writeError(index: number, error: unknown): WriteError {
  const e = asCommandError(error);
  return { index, code: e.code, errmsg: e.message, ...e.extra };
}

function checkId(doc: Record<string, unknown>): void {
  const id = doc._id;
  if (Array.isArray(id)) throw new MongoCommandError('BadValue', "can't use an array for _id");
  if (id instanceof RegExp) throw new MongoCommandError('BadValue', "can't use a regex for _id");
  if (id === undefined) throw new MongoCommandError('InvalidIdField', 'document has no _id');
  // mongod 7.0 checks the subfields of _id, not deeper levels (7.1 added those).
  if (isPlainObject(id)) {
    const dollar = Object.keys(id).find((key) => key.startsWith('$'));
    if (dollar !== undefined) {
      throw new MongoCommandError(
        'DollarPrefixedFieldName',
        `_id fields may not contain '$'-prefixed fields: ${dollar} is not valid for storage.`,
      );
    }
  }
}

const insert: CommandHandler = async (ctx) => {
  const name = collectionName(ctx, 'insert');
  const documents = requireArray(ctx.body, 'documents');
  const ordered = ctx.body.ordered !== false;
  const bypass = truthy(ctx.body.bypassDocumentValidation);
  const sizes = ctx.sequenceSizes?.get('documents');
  const writeErrors: WriteError[] = [];
  let n = 0;
  await withChanges(ctx.state, (changes) => {
    const store = ctx.state.catalog.ensure(ctx.db, name, changes);
    for (let i = 0; i < documents.length; i++) {
      try {
        const raw = documents[i];
        if (!isPlainObject(raw))
          throw new MongoCommandError('TypeMismatch', 'document to insert must be an object');
        if (sizes && sizes[i] > MAX_BSON_BYTES) {
          throw new MongoCommandError(
            'BSONObjectTooLarge',
            `object to insert too large. size in bytes: ${sizes[i]}, max size: ${MAX_BSON_BYTES}`,
          );
        }
        const { doc, hints } = toView(raw);
        const record = withIdFirst(doc, hints);
        checkId(record.doc);
        const idKey = keyOf(record.doc._id);
        store.checkWrite(idKey, record, true, bypass);
        ctx.state.catalog.put(store, idKey, record, changes);
        n++;
      } catch (error) {
        writeErrors.push(writeError(i, error));
        if (ordered) break;
      }
    }
  });
  return writeErrors.length > 0 ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
};

function withIdFirst(doc: Record<string, unknown>, hints: StoredDoc['hints']): StoredDoc {
  if (Object.keys(doc)[0] === '_id') return { doc, hints };
  // Drivers add _id themselves; for raw clients the server assigns one, as mongod does.
  if (!('_id' in doc)) return { doc: { _id: new ObjectId(), ...doc }, hints };
  const { _id, ...rest } = doc;
  return { doc: { _id, ...rest }, hints };
}

interface FindSpec {
  filter: Document;
  sort?: Document;
  projection?: Document;
  skip?: number;
  limit?: number;
  /** The command's `let` constants. */
  variables?: Document;
  /** The collation asked for (null: simple), else the collection's default applies. */
  collation?: Collation | null;
}

/** The collation an operation runs with: its own (null: simple), else the collection's default. */
function effectiveCollation(
  store: CollectionStore | undefined,
  asked: Collation | null | undefined,
): Collation | undefined {
  return asked === undefined ? store?.collation : (asked ?? undefined);
}

export function runFind(
  store: CollectionStore | undefined,
  spec: FindSpec,
  stats?: QueryStats,
): StoredDoc[] {
  const collation = effectiveCollation(store, spec.collation);
  const query = compileFilter(spec.filter, spec.variables, collation);
  if (!store) return [];
  // Without sort or skip the first `limit` matches are the answer: stop scanning there.
  const early = !spec.sort && !spec.skip && spec.limit ? Math.abs(spec.limit) : 0;
  let records = store.find(spec.filter, query, stats, early, collation);
  records = sortRecords(records, spec.sort, collation);
  const skip = spec.skip ?? 0;
  if (skip < 0) throw new MongoCommandError('BadValue', 'skip value must be non-negative');
  const limit = spec.limit ?? 0;
  if (skip > 0 || limit !== 0)
    records = records.slice(skip, limit !== 0 ? skip + Math.abs(limit) : undefined);
  return records;
}

function findSpec(body: Document, filterField: string): FindSpec {
  return {
    filter: optionalDocument(body, filterField) ?? {},
    sort: optionalDocument(body, 'sort'),
    projection: optionalDocument(body, 'projection') ?? optionalDocument(body, 'fields'),
    skip: optionalNumber(body, 'skip'),
    limit: optionalNumber(body, 'limit'),
    variables: parseLet(body.let),
    collation: parseCollation(body.collation),
  };
}

const find: CommandHandler = (ctx) => {
  const name = collectionName(ctx, 'find');
  const spec = findSpec(ctx.body, 'filter');
  const store = ctx.state.catalog.get(ctx.db, name);
  const batchSize = optionalNumber(ctx.body, 'batchSize');
  const singleBatch = truthy(ctx.body.singleBatch) || (spec.limit !== undefined && spec.limit < 0);
  const ns = `${ctx.db}.${name}`;
  if (store?.view) {
    const docs = findOnView(ctx, name, spec, spec.variables);
    return { cursor: ctx.state.cursors.firstBatch(ns, docs, batchSize, singleBatch), ok: 1 };
  }
  const tail = truthy(ctx.body.tailable) ? tailOf(ctx, store, spec) : undefined;
  const returnKey = truthy(ctx.body.returnKey);
  const stats: QueryStats | undefined = returnKey
    ? { docsExamined: 0, keysExamined: 0, stage: 'COLLSCAN' }
    : undefined;
  const records = runFind(store, spec, stats);
  const docs = returnKey
    ? records.map((r) => indexKeyOf(r, store!, stats!))
    : projectRecords(records, spec.projection);
  if (truthy(ctx.body.showRecordId)) {
    records.forEach((r, i) => (docs[i].$recordId = Long.fromNumber(r.rid ?? 0)));
  }
  return {
    cursor: ctx.state.cursors.firstBatch(ns, docs, batchSize, singleBatch, tail),
    ok: 1,
  };
};

/** A tailable cursor follows the inserts into a capped collection after its query ran. */
function tailOf(ctx: CommandContext, store: CollectionStore | undefined, spec: FindSpec): Tail {
  if (!store?.capped) {
    throw new MongoCommandError(
      'BadValue',
      'error processing query: tailable cursor requested on non capped collection',
    );
  }
  if (spec.sort && Object.keys(spec.sort).some((k) => k !== '$natural')) {
    throw new MongoCommandError(
      'BadValue',
      'cannot use tailable option with a sort other than {$natural: 1}',
    );
  }
  const matches = compileFilter(spec.filter, spec.variables);
  let seen = store.latestRecordId;
  return {
    awaitData: truthy(ctx.body.awaitData),
    poll: () => {
      if (ctx.state.catalog.get(store.db, store.name) !== store) return undefined;
      // Documents inserted after the cursor's position were dropped before it read them.
      if (store.evictedUpTo > seen) {
        throw new MongoCommandError(
          'CappedPositionLost',
          `CollectionScan died due to position in capped collection being deleted. Last seen record id: RecordId(${seen})`,
        );
      }
      const fresh: StoredDoc[] = [];
      for (const record of store.records.values()) {
        if ((record.rid ?? 0) > seen && matches(record.doc)) fresh.push(record);
      }
      seen = store.latestRecordId;
      return projectRecords(fresh, spec.projection);
    },
    wait: (ms) =>
      new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          store.tailWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        store.tailWaiters.add(wake);
      }),
  };
}

/** `returnKey`: the keys of the index the query used, `{}` when it scanned the collection. */
function indexKeyOf(record: StoredDoc, store: CollectionStore, stats: QueryStats): Document {
  const pattern =
    stats.indexName === '_id_' ? { _id: 1 } : store.indexes.get(stats.indexName ?? '')?.spec.key;
  const key: Document = {};
  if (!pattern) return key;
  const typed = fromView(record.doc, record.hints);
  for (const field of Object.keys(pattern)) key[field] = valuesAt(typed, field)[0] ?? null;
  return key;
}

const getMore: CommandHandler = (ctx) => {
  const id = optionalNumber(ctx.body, 'getMore');
  if (id === undefined)
    throw new MongoCommandError('TypeMismatch', "Field 'getMore' must be of type long");
  const collection = ctx.body.collection as unknown;
  if (typeof collection !== 'string') {
    throw new MongoCommandError(
      'TypeMismatch',
      "BSON field 'getMore.collection' is missing but a required field",
    );
  }
  const batchSize = optionalNumber(ctx.body, 'batchSize');
  if (ctx.state.cursors.isTailable(id)) {
    const maxTimeMS = optionalNumber(ctx.body, 'maxTimeMS');
    return ctx.state.cursors
      .nextTailBatch(id, collection, batchSize, maxTimeMS)
      .then((cursor) => ({ cursor, ok: 1 }));
  }
  return { cursor: ctx.state.cursors.nextBatch(id, collection, batchSize), ok: 1 };
};

const killCursors: CommandHandler = (ctx) => {
  const ids = requireArray(ctx.body, 'cursors');
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const raw of ids) {
    const id = typeof raw === 'number' ? raw : Number(raw);
    (ctx.state.cursors.kill(id) ? killed : notFound).push(Long.fromNumber(id));
  }
  return {
    cursorsKilled: killed,
    cursorsNotFound: notFound,
    cursorsAlive: [],
    cursorsUnknown: [],
    ok: 1,
  };
};

interface UpdateStatement {
  q: Document;
  u: unknown;
  multi: boolean;
  upsert: boolean;
  arrayFilters?: Document[];
  variables?: Document;
  collation?: Collation | null;
}

function parseUpdateStatement(raw: unknown, commandLet: Document | undefined): UpdateStatement {
  if (!isPlainObject(raw))
    throw new MongoCommandError('TypeMismatch', 'update statement must be an object');
  const q = toViewValue(raw.q);
  if (!isPlainObject(q))
    throw new MongoCommandError(
      'TypeMismatch',
      "BSON field 'update.updates.q' is missing or not an object",
    );
  if (raw.u === undefined)
    throw new MongoCommandError(
      'FailedToParse',
      "BSON field 'update.updates.u' is missing but a required field",
    );
  const arrayFilters =
    raw.arrayFilters === undefined ? undefined : (toViewValue(raw.arrayFilters) as Document[]);
  const constants = parseLet(toViewValue(raw.c), 'update.updates.c');
  const variables = constants ? { ...commandLet, ...constants } : commandLet;
  return {
    q,
    u: raw.u,
    multi: truthy(raw.multi),
    upsert: truthy(raw.upsert),
    arrayFilters,
    variables,
    collation: parseCollation(toViewValue(raw.collation)),
  };
}

const update: CommandHandler = async (ctx) => {
  const name = collectionName(ctx, 'update');
  const statements = requireArray(ctx.body, 'updates');
  const ordered = ctx.body.ordered !== false;
  const commandLet = parseLet(ctx.body.let);
  const bypass = truthy(ctx.body.bypassDocumentValidation);
  const writeErrors: WriteError[] = [];
  const upserted: Document[] = [];
  let n = 0;
  let nModified = 0;
  await withChanges(ctx.state, (changes) => {
    const catalog = ctx.state.catalog;
    for (let i = 0; i < statements.length; i++) {
      try {
        const statement = parseUpdateStatement(statements[i], commandLet);
        const modifier = parseModifier(statement.u);
        if (statement.multi && modifier.kind === 'replace') {
          throw new MongoCommandError(
            'FailedToParse',
            'multi update is not supported for replacement-style update',
          );
        }
        const existing = catalog.get(ctx.db, name);
        const collation = effectiveCollation(existing, statement.collation);
        const matches = runFind(existing, {
          filter: statement.q,
          limit: statement.multi ? 0 : 1,
          variables: statement.variables,
          collation: statement.collation,
        });
        if (matches.length === 0) {
          if (!statement.upsert) continue;
          const record = buildUpsert(
            statement.q,
            modifier,
            statement.arrayFilters,
            statement.variables,
            collation,
          );
          checkId(record.doc);
          const store = catalog.ensure(ctx.db, name, changes);
          const idKey = keyOf(record.doc._id);
          store.checkWrite(idKey, record, true, bypass);
          catalog.put(store, idKey, record, changes);
          upserted.push({ index: i, _id: fromView({ _id: record.doc._id }, record.hints)._id });
          n++;
          continue;
        }
        const store = existing!;
        for (const match of matches) {
          const outcome = applyModifier(match, modifier, {
            arrayFilters: statement.arrayFilters,
            filter: statement.q,
            variables: statement.variables,
            collation,
          });
          n++;
          if (!outcome.modified) continue;
          const idKey = keyOf(match.doc._id);
          store.checkWrite(idKey, outcome.record, false, bypass);
          catalog.put(store, idKey, outcome.record, changes);
          nModified++;
        }
      } catch (error) {
        writeErrors.push(writeError(i, error));
        if (ordered) break;
      }
    }
  });
  const reply: Document = { n, nModified };
  if (upserted.length > 0) reply.upserted = upserted;
  if (writeErrors.length > 0) reply.writeErrors = writeErrors;
  reply.ok = 1;
  return reply;
};

const deleteCommand: CommandHandler = async (ctx) => {
  const name = collectionName(ctx, 'delete');
  const statements = requireArray(ctx.body, 'deletes');
  const ordered = ctx.body.ordered !== false;
  const variables = parseLet(ctx.body.let);
  const writeErrors: WriteError[] = [];
  let n = 0;
  // Statements are parsed before any runs: a malformed one fails the whole command, as in mongod.
  const parsed = statements.map((raw) => {
    if (!isPlainObject(raw)) {
      throw new MongoCommandError('TypeMismatch', 'delete statement must be an object');
    }
    const q = toViewValue(raw.q);
    if (!isPlainObject(q)) {
      throw new MongoCommandError(
        'TypeMismatch',
        "BSON field 'delete.deletes.q' is missing or not an object",
      );
    }
    const limit: unknown = toViewValue(raw.limit);
    if (limit !== 0 && limit !== 1) {
      throw new MongoCommandError(
        'FailedToParse',
        `The limit field in delete objects must be 0 or 1. Got ${String(limit)}`,
      );
    }
    return { q, limit, collation: parseCollation(toViewValue(raw.collation)) };
  });
  await withChanges(ctx.state, (changes) => {
    for (let i = 0; i < parsed.length; i++) {
      try {
        const { q, limit, collation } = parsed[i];
        const store = ctx.state.catalog.get(ctx.db, name);
        const matches = runFind(store, {
          filter: q,
          limit: limit === 1 ? 1 : 0,
          variables,
          collation,
        });
        for (const match of matches) {
          ctx.state.catalog.delete(store!, keyOf(match.doc._id), changes);
          n++;
        }
      } catch (error) {
        writeErrors.push(writeError(i, error));
        if (ordered) break;
      }
    }
  });
  return writeErrors.length > 0 ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
};

const findAndModify: CommandHandler = async (ctx) => {
  const name = collectionName(ctx, 'findAndModify' in ctx.body ? 'findAndModify' : 'findandmodify');
  const body = ctx.body;
  const query = optionalDocument(body, 'query') ?? {};
  const sort = optionalDocument(body, 'sort');
  const fields = optionalDocument(body, 'fields');
  const remove = truthy(body.remove);
  const returnNew = truthy(body.new);
  const upsert = truthy(body.upsert);
  if (remove && body.update !== undefined) {
    throw new MongoCommandError('FailedToParse', 'Cannot specify both an update and remove=true');
  }
  if (!remove && body.update === undefined) {
    throw new MongoCommandError(
      'FailedToParse',
      'Either an update or remove=true must be specified',
    );
  }
  const modifier = remove ? undefined : parseModifier(body.update);
  const arrayFilters =
    body.arrayFilters === undefined ? undefined : (toViewValue(body.arrayFilters) as Document[]);
  const variables = parseLet(body.let);
  const bypass = truthy(body.bypassDocumentValidation);
  const collation = parseCollation(body.collation);
  return withChanges(ctx.state, (changes) => {
    const catalog = ctx.state.catalog;
    const existing = catalog.get(ctx.db, name);
    const [match] = runFind(existing, { filter: query, sort, limit: 1, variables, collation });
    const project = (record: StoredDoc | undefined): Document | null =>
      record ? projectRecords([record], fields)[0] : null;
    if (remove) {
      if (match) catalog.delete(existing!, keyOf(match.doc._id), changes);
      return { lastErrorObject: { n: match ? 1 : 0 }, value: project(match), ok: 1 };
    }
    if (!match) {
      if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
      const record = buildUpsert(
        query,
        modifier!,
        arrayFilters,
        variables,
        effectiveCollation(existing, collation),
      );
      checkId(record.doc);
      const store = catalog.ensure(ctx.db, name, changes);
      const idKey = keyOf(record.doc._id);
      store.checkWrite(idKey, record, true, bypass);
      catalog.put(store, idKey, record, changes);
      return {
        lastErrorObject: { n: 1, updatedExisting: false, upserted: record.doc._id },
        value: returnNew ? project(record) : null,
        ok: 1,
      };
    }
    const outcome = applyModifier(match, modifier!, {
      arrayFilters,
      filter: query,
      variables,
      collation: effectiveCollation(existing, collation),
    });
    if (outcome.modified) {
      const idKey = keyOf(match.doc._id);
      existing!.checkWrite(idKey, outcome.record, false, bypass);
      catalog.put(existing!, idKey, outcome.record, changes);
    }
    return {
      lastErrorObject: { n: 1, updatedExisting: true },
      value: project(returnNew ? outcome.record : match),
      ok: 1,
    };
  });
};

const count: CommandHandler = (ctx) => {
  const name = collectionName(ctx, 'count');
  const store = ctx.state.catalog.get(ctx.db, name);
  const spec: FindSpec = {
    filter: optionalDocument(ctx.body, 'query') ?? {},
    skip: optionalNumber(ctx.body, 'skip'),
    limit: optionalNumber(ctx.body, 'limit'),
    collation: parseCollation(ctx.body.collation),
  };
  const n = store?.view ? findOnView(ctx, name, spec).length : runFind(store, spec).length;
  return { n, ok: 1 };
};

const distinct: CommandHandler = (ctx) => {
  const name = collectionName(ctx, 'distinct');
  const key = ctx.body.key as unknown;
  if (typeof key !== 'string')
    throw new MongoCommandError(
      'TypeMismatch',
      "BSON field 'distinct.key' is missing or not a string",
    );
  const store = ctx.state.catalog.get(ctx.db, name);
  const filter = optionalDocument(ctx.body, 'query') ?? {};
  const explicit = parseCollation(ctx.body.collation);
  const collation = effectiveCollation(store, explicit);
  const docs = store?.view
    ? findOnView(ctx, name, { filter, collation: explicit })
    : runFind(store, { filter, collation: collation ?? null }).map((r) => fromView(r.doc, r.hints));
  const seen = new Map<string, unknown>();
  // Strings a collation calls equal (inside documents and arrays too) are one distinct value.
  const classes = collation?.newClasses();
  for (const typed of docs) {
    for (const value of valuesAt(typed, key)) {
      const view = toViewValue(value);
      const k = keyOf(classes ? foldStrings(view, (s) => classes.representative(s)) : view);
      if (!seen.has(k)) seen.set(k, value);
    }
  }
  return { values: [...seen.values()], ok: 1 };
};

function valuesAt(doc: unknown, path: string): unknown[] {
  const parts = path.split('.');
  const out: unknown[] = [];
  const walk = (value: unknown, i: number): void => {
    if (Array.isArray(value)) {
      if (i === parts.length) {
        out.push(...value);
        return;
      }
      for (const element of value) walk(element, i);
      return;
    }
    if (i === parts.length) {
      if (value !== undefined) out.push(value);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    walk((value as Record<string, unknown>)[parts[i]], i + 1);
  };
  walk(doc, 0);
  return out;
}

/** `explain` of find, count and distinct: plan stage plus execution counters like mongod's. */
const explain: CommandHandler = (ctx) => {
  const inner = optionalDocument(ctx.body, 'explain');
  if (!inner)
    throw new MongoCommandError('FailedToParse', 'explain command requires a nested object');
  const [command] = Object.keys(inner);
  const innerCtx: CommandContext = { ...ctx, body: inner };
  let spec: FindSpec;
  if (command === 'find') spec = findSpec(inner, 'filter');
  else if (command === 'count' || command === 'distinct')
    spec = { filter: optionalDocument(inner, 'query') ?? {} };
  else
    throw new MongoCommandError(
      'IllegalOperation',
      `Explain for ${command} is not supported by this server`,
    );
  const name = collectionName(innerCtx, command);
  const store = ctx.state.catalog.get(ctx.db, name);
  const stats: QueryStats = { docsExamined: 0, keysExamined: 0, stage: store ? 'COLLSCAN' : 'EOF' };
  const records = runFind(store, spec, stats);
  const inputStage = stats.indexName
    ? { stage: stats.stage, indexName: stats.indexName }
    : { stage: stats.stage };
  return {
    queryPlanner: {
      namespace: `${ctx.db}.${name}`,
      parsedQuery: spec.filter,
      winningPlan: stats.stage === 'IXSCAN' ? { stage: 'FETCH', inputStage } : inputStage,
      rejectedPlans: [],
    },
    executionStats: {
      executionSuccess: true,
      nReturned: records.length,
      totalKeysExamined: stats.keysExamined,
      totalDocsExamined: stats.docsExamined,
    },
    ok: 1,
  };
};

export const crudCommands: Record<string, CommandHandler> = {
  insert,
  find,
  getMore,
  killCursors,
  update,
  delete: deleteCommand,
  findAndModify,
  findandmodify: findAndModify,
  count,
  distinct,
  explain,
};
