import {
  MongoBulkWriteError,
  type Db,
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  type WriteError,
} from 'mongodb';

export interface MongoConnection {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectMongo(url: string, database: string): Promise<MongoConnection> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, appName: 'crm' });
  await client.connect();
  return { client, db: client.db(database), close: () => client.close() };
}

export async function pingMongo(db: Db): Promise<void> {
  await db.command({ ping: 1 });
}

/**
 * A replica set member answered that it is not (or no longer) the primary, or is shutting down: an election is under
 * way, and the driver's one retry met it too (the server's error codes, as the driver's retry rules list them).
 */
const REPLICA_SET_STATE_CODES = new Set<number>([
  10107, // NotWritablePrimary
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  189, // PrimarySteppedDown
  11602, // InterruptedDueToReplStateChange
  91, // ShutdownInProgress
  11600, // InterruptedAtShutdown
]);

/**
 * MongoDB could not be reached (no server selected in time, a connection dropped or timed out, its pool cleared, the
 * primary stepped down):
 * the same call may succeed later. A bulk write wraps such a failure, without its cause, in a MongoBulkWriteError
 * that carries neither a server code nor a refused document.
 */
export function isMongoUnavailable(error: unknown): boolean {
  return (
    error instanceof MongoNetworkError ||
    (error instanceof MongoServerError && REPLICA_SET_STATE_CODES.has(Number(error.code))) ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoServerClosedError ||
    (error instanceof MongoBulkWriteError &&
      error.code === undefined &&
      (Array.isArray(error.writeErrors) ? error.writeErrors.length === 0 : !error.writeErrors))
  );
}

/** The refused operations of a bulk write, one or many, as a list. */
export function writeErrorsOf(error: MongoBulkWriteError): readonly WriteError[] {
  const { writeErrors } = error;
  return Array.isArray(writeErrors) ? writeErrors : [writeErrors as WriteError];
}

/** A write refused only because some documents' `_id`s were taken (by a concurrent writer): those stand. */
export function isOnlyDuplicateKeys(error: MongoServerError): boolean {
  const writeErrors = (error as { writeErrors?: Array<{ code?: number }> }).writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) {
    return writeErrors.every((e) => e.code === 11000);
  }
  return error.code === 11000;
}

export type { Db, MongoClient };
