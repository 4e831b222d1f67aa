import { type Document, Long } from 'bson';
import { isPlainObject } from '../bson/bson-values';
import { type Catalog, ChangeSet } from '../engine/catalog';
import { wrongType } from '../engine/field-checks';
import { evaluateConstants } from '../engine/mingo-aggregator';
import { MongoCommandError } from '../engine/mongo-error';
import { type Persistence } from '../storage/persistence';
import { type CursorRegistry } from './cursor-registry';

export interface ServerState {
  catalog: Catalog;
  persistence: Persistence | undefined;
  cursors: CursorRegistry;
  startedAt: number;
  connections: { current: number; totalCreated: number };
  /** serverStatus `opcounters`, counted as mongod counts them (see countOperation). */
  opcounters: OpCounters;
}

export interface OpCounters {
  insert: number;
  query: number;
  update: number;
  delete: number;
  getmore: number;
  command: number;
}

export function newOpCounters(): OpCounters {
  return { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 };
}

/**
 * mongod's opcounters: inserted documents, update and delete statements (each counted once, whatever it matched),
 * find commands, getMores, and one per any other command. Counted when the command arrives, failures included.
 */
export function countOperation(counters: OpCounters, name: string, body: Document): void {
  const statements = (field: string) => {
    const value = body[field] as unknown;
    return Array.isArray(value) ? value.length : 0;
  };
  if (name === 'insert') counters.insert += statements('documents');
  else if (name === 'update') counters.update += statements('updates');
  else if (name === 'delete') counters.delete += statements('deletes');
  else if (name === 'find') counters.query++;
  else if (name === 'getMore') counters.getmore++;
  else counters.command++;
}

export interface CommandContext {
  state: ServerState;
  db: string;
  body: Document;
  connectionId: number;
  /** Sizes of the documents of each OP_MSG document sequence, for the 16 MiB check. */
  sequenceSizes?: Map<string, number[]>;
}

export type CommandHandler = (ctx: CommandContext) => Document | Promise<Document>;

/** Runs a mutation and resolves once its changes are durable (journal fsync'd). */
export async function withChanges<T>(
  state: ServerState,
  mutate: (changes: ChangeSet) => T,
): Promise<T> {
  const changes = new ChangeSet();
  let result: T;
  try {
    result = mutate(changes);
  } finally {
    // Whatever was applied before a failure is journaled too, exactly like what is acknowledged.
    if (state.persistence) await state.persistence.commit(changes);
  }
  return result;
}

export function collectionName(ctx: CommandContext, field: string): string {
  const value: unknown = ctx.body[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new MongoCommandError(
      'InvalidNamespace',
      `collection name has invalid type ${value === undefined ? 'missing' : typeof value}`,
    );
  }
  if (value.includes('\0') || value.startsWith('.') || value.includes('$')) {
    throw new MongoCommandError('InvalidNamespace', `Invalid collection name: ${value}`);
  }
  return value;
}

export function optionalNumber(body: Document, field: string): number | undefined {
  const value: unknown = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  throw new MongoCommandError(
    'TypeMismatch',
    `Field '${field}' should be a number, not ${typeof value}`,
  );
}

export function optionalDocument(body: Document, field: string): Document | undefined {
  const value: unknown = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new MongoCommandError(
      'TypeMismatch',
      `BSON field '${field}' is the wrong type '${Array.isArray(value) ? 'array' : typeof value}', expected type 'object'`,
    );
  }
  return value;
}

export function requireArray(body: Document, field: string): unknown[] {
  const value: unknown = body[field];
  if (!Array.isArray(value)) {
    throw new MongoCommandError(
      'TypeMismatch',
      `BSON field '${field}' is missing or is not an array`,
    );
  }
  return value;
}

export function truthy(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== 0;
}

const USER_VARIABLE = /^[a-z\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*$/;

/**
 * The `let` of a command (and the `c` of an update statement): variable names checked as mongod
 * checks user variables, values evaluated once as constant expressions (they cannot see documents).
 */
export function parseLet(value: unknown, field = 'let'): Document | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    throw wrongType(field, value, 'object');
  }
  for (const name of Object.keys(value)) {
    if (!USER_VARIABLE.test(name)) {
      throw new MongoCommandError(
        'FailedToParse',
        `'${name}' starts with an invalid character for a user variable name`,
      );
    }
  }
  return evaluateConstants(value);
}
