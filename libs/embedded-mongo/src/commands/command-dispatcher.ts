import { type Document } from 'bson';
import { toViewValue } from '../bson/bson-values';
import { MongoCommandError, asCommandError } from '../engine/mongo-error';
import { adminCommands } from './admin.commands';
import { aggregateCommands } from './aggregate.command';
import { type CommandHandler, countOperation, type ServerState } from './command-context';
import { checkCommandFields } from './command-fields';
import { collectionCommands } from './collection.commands';
import { crudCommands } from './crud.commands';

const handlers: Record<string, CommandHandler> = {
  ...adminCommands,
  ...crudCommands,
  ...aggregateCommands,
  ...collectionCommands,
};

/** Fields carrying documents to store; their BSON number types are kept, not flattened. */
const TYPED_FIELDS = new Set(['documents', 'updates', 'update']);
const TRANSACTION_COMMANDS = new Set(['commitTransaction', 'abortTransaction']);

/** Runs one command and always produces a reply document, `ok: 0` on any failure. */
export async function dispatch(
  state: ServerState,
  raw: Document,
  connectionId: number,
  sequenceSizes?: Map<string, number[]>,
): Promise<Document> {
  try {
    const [name] = Object.keys(raw);
    if (name === undefined) throw new MongoCommandError('CommandNotFound', 'no such command: ');
    countOperation(state.opcounters, name, raw);
    const handler = Object.prototype.hasOwnProperty.call(handlers, name)
      ? handlers[name]
      : undefined;
    if (!handler) {
      if (TRANSACTION_COMMANDS.has(name)) throw standaloneTransactions();
      throw new MongoCommandError('CommandNotFound', `no such command: '${name}'`);
    }
    if (raw.txnNumber !== undefined || raw.startTransaction !== undefined)
      throw standaloneTransactions();
    const db = raw.$db as unknown;
    if (typeof db !== 'string' || db.length === 0) {
      throw new MongoCommandError('InvalidNamespace', 'command is missing the $db field');
    }
    if (/[/\\. "$\0]/.test(db))
      throw new MongoCommandError('InvalidNamespace', `Invalid database name: '${db}'`);
    checkCommandFields(name, raw);
    if ((raw.readConcern as Document | undefined)?.level === 'snapshot') {
      // Snapshot reads need a replica set's majority-committed history; a standalone has none.
      throw new MongoCommandError(
        'NotAReplicaSet',
        'node needs to be a replica set member to use readConcern: snapshot',
      );
    }
    if (state.catalog.hasViews && COLLECTION_ONLY.has(name)) rejectViewTarget(state, db, raw[name]);
    const body: Document = {};
    for (const [key, value] of Object.entries(raw)) {
      body[key] = TYPED_FIELDS.has(key) ? value : toViewValue(value);
    }
    return await handler({ state, db, body, connectionId, sequenceSizes });
  } catch (error) {
    const e = asCommandError(error);
    return e.toReply();
  }
}

/** Commands on documents or indexes: a view has neither. */
const COLLECTION_ONLY = new Set([
  'listIndexes',
  'insert',
  'update',
  'delete',
  'findAndModify',
  'findandmodify',
  'createIndexes',
  'dropIndexes',
]);

function rejectViewTarget(state: ServerState, db: string, target: unknown): void {
  if (typeof target !== 'string' || !state.catalog.get(db, target)?.view) return;
  throw new MongoCommandError(
    'CommandNotSupportedOnView',
    `Namespace ${db}.${target} is a view, not a collection`,
  );
}

function standaloneTransactions(): MongoCommandError {
  return new MongoCommandError(
    'IllegalOperation',
    'Transaction numbers are only allowed on a replica set member or mongos',
  );
}
