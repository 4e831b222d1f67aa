import {
  MongoBulkWriteError,
  type Db,
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerClosedError,
  type MongoServerError,
  MongoServerSelectionError,
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
 * MongoDB could not be reached (no server selected in time, a connection dropped or timed out, its pool cleared):
 * the same call may succeed later. A bulk write wraps such a failure, without its cause, in a MongoBulkWriteError
 * that carries neither a server code nor a refused document.
 */
export function isMongoUnavailable(error: unknown): boolean {
  return (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoServerClosedError ||
    (error instanceof MongoBulkWriteError &&
      error.code === undefined &&
      (Array.isArray(error.writeErrors) ? error.writeErrors.length === 0 : !error.writeErrors))
  );
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
