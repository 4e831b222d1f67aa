import { type Document, UUID } from 'bson';
import { isPlainObject, keyOf } from '../bson/bson-values';
import { type IndexSpec } from '../engine/collection-index';
import { parseCollation } from '../engine/collation';
import { checkValidationOptions } from '../engine/document-validator';
import { MongoCommandError, asCommandError } from '../engine/mongo-error';
import { isGenericField } from './command-fields';
import { MINGO_OPTIONS, Query, rejectScripts } from '../engine/query-tools';
import {
  type CommandHandler,
  collectionName,
  optionalDocument,
  requireArray,
  truthy,
  withChanges,
} from './command-context';

const IGNORED_CREATE_OPTIONS = new Set([
  'create',
  '$db',
  'lsid',
  '$clusterTime',
  'writeConcern',
  'comment',
  '$readPreference',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
]);

function createOptions(body: Document): Document {
  const options: Document = {};
  for (const [k, v] of Object.entries(body)) if (!IGNORED_CREATE_OPTIONS.has(k)) options[k] = v;
  return options;
}

const create: CommandHandler = async (ctx) => {
  const name = collectionName(ctx, 'create');
  const options = createOptions(ctx.body);
  checkValidationOptions(options);
  if (options.collation !== undefined) {
    // Recorded with every field filled in, as mongod shows it; "simple" is no collation at all.
    const collation = parseCollation(options.collation);
    if (collation) options.collation = collation.spec;
    else delete options.collation;
  }
  if ('viewOn' in options || 'pipeline' in options) checkViewOptions(options);
  for (const unsupported of ['timeseries', 'clusteredIndex']) {
    if (unsupported in options) {
      throw new MongoCommandError(
        'CommandNotSupported',
        `create with '${unsupported}' is not supported by embedded-mongo`,
      );
    }
  }
  if (options.capped === true) {
    if (typeof options.size !== 'number' || options.size <= 0) {
      throw new MongoCommandError(
        'InvalidOptions',
        "the 'size' field is required when 'capped' is true",
      );
    }
  }
  const existing = ctx.state.catalog.get(ctx.db, name);
  if (existing) {
    // Since 7.0 mongod treats a create with identical options as already done.
    if (keyOf(existing.options) === keyOf(options)) return { ok: 1 };
    throw new MongoCommandError(
      'NamespaceExists',
      `Collection ${ctx.db}.${name} already exists with different options`,
    );
  }
  await withChanges(ctx.state, (changes) =>
    ctx.state.catalog.ensure(ctx.db, name, changes, options),
  );
  return { ok: 1 };
};

/** A view is `viewOn` plus a read-only pipeline; the options that shape storage make no sense on it. */
function checkViewOptions(options: Document): void {
  if (typeof options.viewOn !== 'string' || options.viewOn.length === 0) {
    throw new MongoCommandError(
      'BadValue',
      options.viewOn === undefined
        ? "'pipeline' requires 'viewOn' to also be specified"
        : "'viewOn' must be a non-empty string",
    );
  }
  const pipeline: unknown = options.pipeline ?? [];
  if (!Array.isArray(pipeline)) {
    throw new MongoCommandError(
      'TypeMismatch',
      "BSON field 'create.pipeline' is the wrong type, expected type 'array'",
    );
  }
  pipeline.forEach((stage: unknown, i) => {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      throw new MongoCommandError(
        'FailedToParse',
        'A pipeline stage specification object must contain exactly one field.',
      );
    }
    const [name] = Object.keys(stage);
    if (name === '$out' || name === '$merge' || name === '$changeStream') {
      throw new MongoCommandError(
        'OptionNotSupportedOnView',
        `${name} cannot be used in a view definition (stage ${i})`,
      );
    }
  });
  rejectScripts(pipeline);
  for (const option of [
    'capped',
    'validator',
    'validationLevel',
    'validationAction',
    'size',
    'max',
  ]) {
    if (option in options) {
      throw new MongoCommandError('InvalidOptions', `option not supported on a view: ${option}`);
    }
  }
}

/** What collMod changes here; its other options (index, expireAfterSeconds, timeseries...) are refused. */
const COLL_MOD_OPTIONS: Record<string, 'collection' | 'view' | 'capped'> = {
  validator: 'collection',
  validationLevel: 'collection',
  validationAction: 'collection',
  viewOn: 'view',
  pipeline: 'view',
  cappedSize: 'capped',
  cappedMax: 'capped',
};

const collMod: CommandHandler = async (ctx) => {
  const name = collectionName(ctx, 'collMod');
  const store = ctx.state.catalog.get(ctx.db, name);
  if (!store) {
    throw new MongoCommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  }
  const next: Document = { ...store.options };
  for (const [field, value] of Object.entries(ctx.body)) {
    if (field === 'collMod' || isGenericField(field)) continue;
    const applies = COLL_MOD_OPTIONS[field];
    if (!applies) {
      throw new MongoCommandError(
        'InvalidOptions',
        `collMod option '${field}' is not supported by embedded-mongo`,
      );
    }
    if (applies === 'view' ? !store.view : applies === 'capped' ? !store.capped : store.view) {
      throw new MongoCommandError(
        'InvalidOptions',
        applies === 'collection'
          ? `option not supported on a view: ${field}`
          : `option only supported on a ${applies === 'view' ? 'view' : 'capped collection'}: ${field}`,
      );
    }
    if (field === 'cappedSize') {
      if (typeof value !== 'number' || value <= 0 || value > 1024 ** 5) {
        throw new MongoCommandError(
          'InvalidOptions',
          'cappedSize must be greater than 0 and less than or equal to 1 PB',
        );
      }
      next.size = value;
    } else if (field === 'cappedMax') next.max = value;
    else next[field] = value;
  }
  if (store.view) checkViewOptions(next);
  checkValidationOptions(next);
  await withChanges(ctx.state, (changes) => ctx.state.catalog.setOptions(store, next, changes));
  return { ok: 1 };
};

const drop: CommandHandler = async (ctx) => {
  const name = collectionName(ctx, 'drop');
  const store = ctx.state.catalog.get(ctx.db, name);
  if (!store) return { ok: 1 };
  const nIndexesWas = store.indexes.size + 1;
  await withChanges(ctx.state, (changes) => ctx.state.catalog.drop(ctx.db, name, changes));
  return { nIndexesWas, ns: `${ctx.db}.${name}`, ok: 1 };
};

const dropDatabase: CommandHandler = async (ctx) => {
  await withChanges(ctx.state, (changes) => ctx.state.catalog.dropDatabase(ctx.db, changes));
  return { dropped: ctx.db, ok: 1 };
};

function splitNamespace(value: unknown, field: string): { db: string; coll: string } {
  if (typeof value !== 'string' || !value.includes('.')) {
    throw new MongoCommandError(
      'InvalidNamespace',
      `Invalid namespace specified '${String(value)}' for ${field}`,
    );
  }
  const dot = value.indexOf('.');
  const db = value.slice(0, dot);
  const coll = value.slice(dot + 1);
  if (!db || !coll)
    throw new MongoCommandError('InvalidNamespace', `Invalid namespace specified '${value}'`);
  return { db, coll };
}

const renameCollection: CommandHandler = async (ctx) => {
  if (ctx.db !== 'admin') {
    throw new MongoCommandError(
      'Unauthorized',
      'renameCollection may only be run against the admin database.',
    );
  }
  const from = splitNamespace(ctx.body.renameCollection, 'renameCollection');
  const to = splitNamespace(ctx.body.to, 'to');
  const catalog = ctx.state.catalog;
  const source = catalog.get(from.db, from.coll);
  if (!source) throw new MongoCommandError('NamespaceNotFound', 'Source collection does not exist');
  if (from.db === to.db && from.coll === to.coll) {
    throw new MongoCommandError('IllegalOperation', "Can't rename a collection to itself");
  }
  if (catalog.get(to.db, to.coll) && !truthy(ctx.body.dropTarget)) {
    throw new MongoCommandError('NamespaceExists', 'target namespace exists');
  }
  await withChanges(ctx.state, (changes) => catalog.rename(source, to.db, to.coll, changes));
  return { ok: 1 };
};

const listCollections: CommandHandler = (ctx) => {
  const filter = optionalDocument(ctx.body, 'filter') ?? {};
  const nameOnly = truthy(ctx.body.nameOnly);
  const collections = ctx.state.catalog.databases.get(ctx.db) ?? new Map();
  let entries: Document[] = [...collections.values()].map((store) =>
    store.view
      ? nameOnly
        ? { name: store.name, type: 'view' }
        : { name: store.name, type: 'view', options: store.options, info: { readOnly: true } }
      : nameOnly
        ? { name: store.name, type: 'collection' }
        : {
            name: store.name,
            type: 'collection',
            options: store.options,
            info: { readOnly: false, uuid: uuidFor(`${store.db}.${store.name}`) },
            idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
          },
  );
  try {
    rejectScripts(filter);
    const query = new Query(filter, MINGO_OPTIONS);
    entries = entries.filter((e) => query.test(e));
  } catch (error) {
    throw asCommandError(error);
  }
  const cursor = optionalDocument(ctx.body, 'cursor');
  return {
    cursor: ctx.state.cursors.firstBatch(
      `${ctx.db}.$cmd.listCollections`,
      entries,
      (cursor?.batchSize as number | undefined) ?? 0,
    ),
    ok: 1,
  };
};

const uuids = new Map<string, UUID>();
function uuidFor(ns: string): UUID {
  let uuid = uuids.get(ns);
  if (!uuid) {
    uuid = new UUID();
    uuids.set(ns, uuid);
  }
  return uuid;
}

const listDatabases: CommandHandler = (ctx) => {
  const databases = [...ctx.state.catalog.databases.entries()]
    .filter(([, colls]) => colls.size > 0)
    .map(([name, colls]) => {
      let size = 0;
      for (const store of colls.values()) size += store.records.size;
      return { name, sizeOnDisk: size * 1024, empty: size === 0 };
    });
  if (truthy(ctx.body.nameOnly))
    return { databases: databases.map((d) => ({ name: d.name })), ok: 1 };
  const totalSize = databases.reduce((sum, d) => sum + d.sizeOnDisk, 0);
  return { databases, totalSize, totalSizeMb: Math.round(totalSize / 1048576), ok: 1 };
};

function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}_${String(v)}`)
    .join('_');
}

function parseIndexSpec(raw: unknown, defaultCollation: Document | undefined): IndexSpec {
  if (!isPlainObject(raw) || !isPlainObject(raw.key) || Object.keys(raw.key).length === 0) {
    throw new MongoCommandError(
      'FailedToParse',
      "The 'key' field is a required property of an index specification",
    );
  }
  for (const [field, direction] of Object.entries(raw.key)) {
    const valid =
      direction === 1 ||
      direction === -1 ||
      ['text', '2dsphere', '2d', 'hashed'].includes(direction as string);
    if (!valid) {
      throw new MongoCommandError(
        'BadValue' as const,
        `Values in the index key pattern can only be 1, -1 or a string type; found ${String(direction)} for ${field}`,
      );
    }
  }
  const spec: IndexSpec = {
    name: typeof raw.name === 'string' ? raw.name : defaultIndexName(raw.key),
    key: raw.key as IndexSpec['key'],
  };
  if (truthy(raw.unique)) spec.unique = true;
  if (truthy(raw.sparse)) spec.sparse = true;
  if (isPlainObject(raw.partialFilterExpression)) {
    rejectScripts(raw.partialFilterExpression);
    spec.partialFilterExpression = raw.partialFilterExpression;
  }
  if (typeof raw.expireAfterSeconds === 'number') spec.expireAfterSeconds = raw.expireAfterSeconds;
  const collation = parseCollation(raw.collation);
  if (collation) spec.collation = collation.spec;
  // An index naming no collation takes the collection's default; "simple" opts out of it.
  else if (collation === undefined && defaultCollation) spec.collation = defaultCollation;
  return spec;
}

const createIndexes: CommandHandler = async (ctx) => {
  const name = collectionName(ctx, 'createIndexes');
  const catalog = ctx.state.catalog;
  const defaultCollation = catalog.get(ctx.db, name)?.collation?.spec;
  const specs = requireArray(ctx.body, 'indexes').map((raw) =>
    parseIndexSpec(raw, defaultCollation),
  );
  const createdCollectionAutomatically = !catalog.get(ctx.db, name);
  return withChanges(ctx.state, (changes) => {
    const store = catalog.ensure(ctx.db, name, changes);
    const before = store.indexes.size + 1;
    for (const spec of specs) {
      if (spec.name === '_id_' || keyOf(spec.key) === keyOf({ _id: 1 })) continue;
      const existing = store.indexes.get(spec.name);
      if (existing) {
        if (keyOf(existing.spec.key) !== keyOf(spec.key)) {
          throw new MongoCommandError(
            'IndexKeySpecsConflict',
            `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing.spec)}`,
          );
        }
        if (Boolean(existing.spec.unique) !== Boolean(spec.unique)) {
          throw new MongoCommandError(
            'IndexOptionsConflict',
            `Index already exists with a different name or options: ${existing.spec.name}`,
          );
        }
        continue;
      }
      const sameKey = [...store.indexes.values()].find(
        (i) => keyOf(i.spec.key) === keyOf(spec.key),
      );
      if (sameKey) {
        if (Boolean(sameKey.spec.unique) === Boolean(spec.unique)) continue;
        throw new MongoCommandError(
          'IndexOptionsConflict',
          `Index already exists with a different name: ${sameKey.spec.name}`,
        );
      }
      catalog.createIndex(store, spec, changes);
    }
    return {
      numIndexesBefore: before,
      numIndexesAfter: store.indexes.size + 1,
      createdCollectionAutomatically,
      ok: 1,
    };
  });
};

const listIndexes: CommandHandler = (ctx) => {
  const name = collectionName(ctx, 'listIndexes');
  const store = ctx.state.catalog.get(ctx.db, name);
  if (!store)
    throw new MongoCommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  const cursor = optionalDocument(ctx.body, 'cursor');
  return {
    cursor: ctx.state.cursors.firstBatch(
      `${ctx.db}.${name}`,
      store.describeIndexes(),
      (cursor?.batchSize as number | undefined) ?? 0,
    ),
    ok: 1,
  };
};

const dropIndexes: CommandHandler = async (ctx) => {
  const name = collectionName(ctx, 'dropIndexes');
  const store = ctx.state.catalog.get(ctx.db, name);
  if (!store) throw new MongoCommandError('NamespaceNotFound', `ns not found ${ctx.db}.${name}`);
  const nIndexesWas = store.indexes.size + 1;
  const target = ctx.body.index as unknown;
  let names: string[];
  if (target === '*') names = [...store.indexes.keys()];
  else if (typeof target === 'string') names = [target];
  else if (Array.isArray(target)) names = target.map(String);
  else if (isPlainObject(target)) {
    const match = [...store.indexes.values()].find((i) => keyOf(i.spec.key) === keyOf(target));
    if (!match)
      throw new MongoCommandError(
        'IndexNotFound',
        `can't find index with key: ${JSON.stringify(target)}`,
      );
    names = [match.name];
  } else
    throw new MongoCommandError(
      'TypeMismatch',
      "BSON field 'dropIndexes.index' is missing or of the wrong type",
    );
  for (const n of names) {
    if (n === '_id_') throw new MongoCommandError('InvalidOptions', 'cannot drop _id index');
    if (!store.indexes.has(n))
      throw new MongoCommandError('IndexNotFound', `index not found with name [${n}]`);
  }
  await withChanges(ctx.state, (changes) => {
    for (const n of names) ctx.state.catalog.dropIndex(store, n, changes);
  });
  return { nIndexesWas, ok: 1 };
};

export const collectionCommands: Record<string, CommandHandler> = {
  create,
  collMod,
  drop,
  dropDatabase,
  renameCollection,
  listCollections,
  listDatabases,
  createIndexes,
  listIndexes,
  dropIndexes,
};
