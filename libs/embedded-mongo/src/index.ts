import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MongoServer } from './server/mongo-server';
import { ensureUser, type MongoUser, ScramVerifier } from './server/scram-auth';
import { type PersistenceOptions } from './storage/persistence';

export interface StartOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Directory for the journal and snapshots; required unless `mem` is true. */
  dataDir?: string;
  /** Keep everything in memory only (throwaway servers for tests). */
  mem?: boolean;
  host?: string;
  persistence?: PersistenceOptions;
  /** How often TTL indexes are applied (mongod: 60 s). */
  ttlIntervalMs?: number;
  /** Set damaged journals/snapshots aside and keep every frame that still verifies. */
  repair?: boolean;
  /** Recovery and startup messages (default: stderr). */
  log?: (line: string) => void;
  /** No authentication, as before: for benchmarks only. */
  insecure?: boolean;
}

export interface RunningMongo {
  /** With the user, its password and `authSource=admin` unless insecure. */
  connectionString: string;
  port: number;
  /** Where the generated user lives (undefined for mem or insecure). */
  credentialsFile?: string;
  stop(): Promise<void>;
}

/** Starts a MongoDB-wire-compatible server that the official `mongodb` driver can use. */
export async function start(options: StartOptions = {}): Promise<RunningMongo> {
  const log = options.log ?? ((line: string) => process.stderr.write(`embedded-mongo: ${line}\n`));
  if (options.mem) log('recovery: in-memory server, nothing to recover');
  let user: MongoUser | undefined;
  let credentialsFile: string | undefined;
  if (!options.insecure) {
    if (options.mem || !options.dataDir) {
      user = { user: 'admin', password: randomBytes(24).toString('hex') };
    } else {
      ({ user, file: credentialsFile } = ensureUser(join(options.dataDir, 'secrets')));
    }
  }
  const server = new MongoServer({
    ...options,
    auth: user ? new ScramVerifier(user) : undefined,
    persistence: { ...options.persistence, repair: options.repair, log },
  });
  const port = await server.listen();
  const host = '127.0.0.1';
  log(
    user
      ? `authentication on (SCRAM-SHA-256): user ${user.user}` +
          (credentialsFile
            ? `, password in ${credentialsFile}`
            : ', password only in the connection string (mem)')
      : 'INSECURE: no authentication (--insecure)',
  );
  return {
    connectionString: user
      ? `mongodb://${user.user}:${user.password}@${host}:${port}/?authSource=admin`
      : `mongodb://${host}:${port}`,
    port,
    credentialsFile,
    stop: () => server.close(),
  };
}

export { MongoServer } from './server/mongo-server';
export { EMBEDDED_MONGO_NODE_FLAGS } from './node-flags';
