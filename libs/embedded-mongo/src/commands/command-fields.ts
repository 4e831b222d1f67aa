import { type Document } from 'bson';
import { MongoCommandError } from '../engine/mongo-error';

/**
 * The fields mongod 7.0's command parsers know. Any other field gets 40415 ("is an unknown field"), so a
 * misspelt option fails instead of being ignored. Fields every command accepts (the generic arguments
 * drivers add: session, cluster time, API version, read/write concern, read preference) come first.
 */
const GENERIC = [
  '$db',
  'lsid',
  'txnNumber',
  'autocommit',
  'startTransaction',
  'stmtId',
  '$clusterTime',
  '$readPreference',
  '$audit',
  '$client',
  '$configServerState',
  '$configTime',
  '$topologyTime',
  '$queryOptions',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'readConcern',
  'writeConcern',
  'maxTimeMS',
  'comment',
  'clientOperationKey',
  'help',
  'mayBypassWriteBlocking',
  'databaseVersion',
  'shardVersion',
];

const WRITE_BASE = [
  'ordered',
  'bypassDocumentValidation',
  'stmtIds',
  'isTimeseriesNamespace',
  'collectionUUID',
  'encryptionInformation',
];

const COMMAND_FIELDS: Record<string, string[]> = {
  find: [
    'find',
    'filter',
    'projection',
    'sort',
    'hint',
    'skip',
    'limit',
    'batchSize',
    'singleBatch',
    'max',
    'min',
    'returnKey',
    'showRecordId',
    'tailable',
    'oplogReplay',
    'noCursorTimeout',
    'awaitData',
    'allowPartialResults',
    'collation',
    'allowDiskUse',
    'let',
    'readOnce',
    'allowSpeculativeMajorityRead',
    'requestResumeToken',
    'resumeAfter',
    'term',
    'collectionUUID',
    'encryptionInformation',
  ],
  aggregate: [
    'aggregate',
    'pipeline',
    'explain',
    'allowDiskUse',
    'cursor',
    'bypassDocumentValidation',
    'collation',
    'hint',
    'let',
    'needsMerge',
    'fromMongos',
    'collectionUUID',
    'encryptionInformation',
    'isMapReduceCommand',
  ],
  insert: ['insert', 'documents', ...WRITE_BASE],
  update: ['update', 'updates', 'let', ...WRITE_BASE],
  delete: ['delete', 'deletes', 'let', ...WRITE_BASE],
  findAndModify: [
    'findAndModify',
    'findandmodify',
    'query',
    'fields',
    'sort',
    'remove',
    'update',
    'new',
    'upsert',
    'bypassDocumentValidation',
    'collation',
    'arrayFilters',
    'hint',
    'let',
    'encryptionInformation',
  ],
  count: [
    'count',
    'query',
    'limit',
    'skip',
    'hint',
    'collation',
    'fields',
    'encryptionInformation',
  ],
  distinct: ['distinct', 'key', 'query', 'collation', 'hint'],
  getMore: ['getMore', 'collection', 'batchSize', 'term', 'lastKnownCommittedOpTime'],
  killCursors: ['killCursors', 'cursors'],
  create: [
    'create',
    'capped',
    'autoIndexId',
    'idIndex',
    'size',
    'max',
    'storageEngine',
    'validator',
    'validationLevel',
    'validationAction',
    'indexOptionDefaults',
    'viewOn',
    'pipeline',
    'collation',
    'changeStreamPreAndPostImages',
    'timeseries',
    'clusteredIndex',
    'expireAfterSeconds',
    'encryptedFields',
    'temp',
    'flags',
  ],
  collMod: [
    'collMod',
    'validator',
    'validationLevel',
    'validationAction',
    'index',
    'viewOn',
    'pipeline',
    'expireAfterSeconds',
    'timeseries',
    'changeStreamPreAndPostImages',
    'cappedSize',
    'cappedMax',
    'dryRun',
    'collectionUUID',
  ],
  drop: ['drop', 'collectionUUID'],
  listCollections: [
    'listCollections',
    'filter',
    'nameOnly',
    'authorizedCollections',
    'cursor',
    'includePendingDrops',
  ],
  listIndexes: ['listIndexes', 'cursor', 'includeBuildUUIDs', 'includeIndexBuildInfo'],
  createIndexes: [
    'createIndexes',
    'indexes',
    'commitQuorum',
    'ignoreUnknownIndexOptions',
    'isTimeseriesNamespace',
    'collectionUUID',
  ],
  dropIndexes: ['dropIndexes', 'index', 'isTimeseriesNamespace', 'collectionUUID'],
};

const STATEMENT_FIELDS: Record<string, { list: string; fields: Set<string> }> = {
  update: {
    list: 'updates',
    fields: new Set([
      'q',
      'u',
      'c',
      'multi',
      'upsert',
      'upsertSupplied',
      'arrayFilters',
      'hint',
      'collation',
      'sampleId',
    ]),
  },
  delete: {
    list: 'deletes',
    fields: new Set(['q', 'limit', 'hint', 'collation', 'sampleId']),
  },
};

const GENERIC_FIELDS = new Set(GENERIC);

/** Fields any command may carry (session, concerns, API version...), none of them options of its own. */
export function isGenericField(field: string): boolean {
  return GENERIC_FIELDS.has(field);
}

const ALLOWED = new Map(
  Object.entries(COMMAND_FIELDS).map(([name, fields]) => [name, new Set([...GENERIC, ...fields])]),
);
ALLOWED.set('findandmodify', ALLOWED.get('findAndModify')!);

function unknownField(path: string): MongoCommandError {
  return new MongoCommandError('Location40415', `BSON field '${path}' is an unknown field.`);
}

/** Refuses fields the command (or one of its update/delete statements) does not define. */
export function checkCommandFields(name: string, body: Document): void {
  const allowed = ALLOWED.get(name);
  if (!allowed) return;
  for (const key in body) if (!allowed.has(key)) throw unknownField(`${name}.${key}`);
  const statements = STATEMENT_FIELDS[name];
  if (!statements) return;
  const list: unknown = body[statements.list];
  if (!Array.isArray(list)) return;
  for (const statement of list) {
    if (statement === null || typeof statement !== 'object') continue;
    for (const key in statement as Document) {
      if (!statements.fields.has(key)) throw unknownField(`${name}.${statements.list}.${key}`);
    }
  }
}
