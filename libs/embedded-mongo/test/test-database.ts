import { randomBytes } from 'node:crypto';
import { type Db, MongoClient, MongoServerError } from 'mongodb';

export function mongoUrl(): string {
  const url = process.env.MONGODB_URL;
  if (!url) throw new Error('MONGODB_URL is not set (jest globalSetup starts the embedded server)');
  return url;
}

/** A client and a database name unique to one suite, so suites also run against a real mongod. */
export async function openTestDatabase(suite: string): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(mongoUrl(), { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const db = client.db(`t_${suite}_${randomBytes(4).toString('hex')}`);
  return { client, db };
}

export async function closeTestDatabase(handle: { client: MongoClient; db: Db }): Promise<void> {
  await handle.db.dropDatabase();
  await handle.client.close();
}

/** Documents with any `_id` type: the suites use strings, numbers and compound ids on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDoc = { _id?: string | number | object; [field: string]: any };

/** The server error a driver call fails with (the test fails if it succeeds or fails otherwise). */
export async function serverError(work: Promise<unknown>): Promise<MongoServerError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MongoServerError);
  return error as MongoServerError;
}
