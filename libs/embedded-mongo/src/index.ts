import { MongoServer } from './server/mongo-server';
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
}

export interface RunningMongo {
  connectionString: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts a MongoDB-wire-compatible server that the official `mongodb` driver can use. */
export async function start(options: StartOptions = {}): Promise<RunningMongo> {
  const log = options.log ?? ((line: string) => process.stderr.write(`embedded-mongo: ${line}\n`));
  if (options.mem) log('recovery: in-memory server, nothing to recover');
  const server = new MongoServer({
    ...options,
    persistence: { ...options.persistence, repair: options.repair, log },
  });
  const port = await server.listen();
  return {
    connectionString: `mongodb://127.0.0.1:${port}`,
    port,
    stop: () => server.close(),
  };
}

export { MongoServer } from './server/mongo-server';
