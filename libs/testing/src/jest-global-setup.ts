import { existsSync } from 'node:fs';
import { join } from 'node:path';

interface RunningServer {
  connectionString: string;
  stop(): Promise<void>;
}
type Starter = (options: { port: number; mem: boolean }) => Promise<RunningServer>;

const servers: RunningServer[] = [];

// Starts the embedded servers once for the whole run, unless the environment points at real ones.
// They start secure (TLS and a user for EventStoreDB, SCRAM-SHA-256 for MongoDB), and the
// connection strings they return carry the credentials, so every suite runs authenticated.
// Workers are forked after this runs, so the URLs set here reach every suite.
export default async function globalSetup(): Promise<void> {
  if (!process.env.EVENTSTORE_URL) {
    const server = await startEmbedded('embedded-eventstore');
    if (server) process.env.EVENTSTORE_URL = server.connectionString;
  }
  if (!process.env.MONGODB_URL) {
    const server = await startEmbedded('embedded-mongo');
    if (server) process.env.MONGODB_URL = server.connectionString;
  }
  (globalThis as { __embeddedServers?: RunningServer[] }).__embeddedServers = servers;
}

async function startEmbedded(lib: string): Promise<RunningServer | undefined> {
  const entry = join(__dirname, '..', '..', lib, 'src', 'index.ts');
  if (!existsSync(entry)) return undefined;
  // globalSetup runs outside jest's module registry, where moduleNameMapper does not apply, and the
  // servers import @app/embedded-storage.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(join(__dirname, '..', '..', '..', 'scripts', 'register-aliases.js'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { start } = require(entry) as { start: Starter };
  const server = await start({ port: 0, mem: true });
  servers.push(server);
  return server;
}
