import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { type FileSystem } from '@app/embedded-storage';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { EventStore } from './store/event-store';
import { decodeBatchAppendRequest } from './protocol/batch-append-request.decoder';
import { serverFeaturesHandlers } from './grpc/server-features.service';
import { writeStartupSystemEvents } from './system/system-events';
import { PersistentSubscriptionsService } from '@eventstore/db-client/generated/persistent_grpc_pb';
import { persistentHandlers } from './grpc/persistent.service';
import { PersistentSubscriptions } from './persistent/persistent-subscriptions';
import { streamsHandlers } from './grpc/streams.service';
import {
  coalescingWrites,
  widenReceiveWindowsAfterBind,
  widenReceiveWindowsBeforeBind,
} from './grpc/flow-control';
import {
  ADMIN_USER,
  basicAuthChecker,
  ensureSecrets,
  type ServerSecrets,
} from './security/credentials';
import { requireUser } from './security/require-user';

export interface StartOptions {
  port?: number;
  dataDir?: string;
  mem?: boolean;
  maxAppendSize?: number;
  host?: string;
  /** Set a damaged log aside and start from every frame that still verifies. */
  repair?: boolean;
  /** Recovery and startup messages (default: stderr). */
  log?: (line: string) => void;
  /** No TLS and no users, as before: for benchmarks only. */
  insecure?: boolean;
  /** The file layer under the log (tests: a power-loss simulation). */
  fs?: FileSystem;
}

export interface RunningEventStore {
  /** What the official client needs: user, password, `tls=true` and the CA file (unless insecure). */
  connectionString: string;
  port: number;
  /** Where the CA certificate and the admin password live (undefined when insecure). */
  secretsDir?: string;
  passwordFile?: string;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);

/** `esdb://admin:PW@...` with the password masked, for logs. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(/\/\/([^:/@]+):[^@/]+@/, '//$1:***@');
}

function queryValue(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : encodeURIComponent(path);
}

const SHUTDOWN_GRACE_MS = 1000;
const MESSAGE_HEADROOM = 16 * 1024 * 1024;

// Reads answer with pre-encoded ReadResp bytes and BatchAppend events are decoded straight from
// the wire; every other message goes through the generated classes of the client package.
const streamsService = {
  ...StreamsService,
  read: {
    ...StreamsService.read,
    responseSerialize: (value: Buffer) => value,
  },
  batchAppend: {
    ...StreamsService.batchAppend,
    requestDeserialize: decodeBatchAppendRequest,
  },
};

export async function start(options: StartOptions = {}): Promise<RunningEventStore> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 2113;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${port}`);
  if (
    options.maxAppendSize !== undefined &&
    (!Number.isInteger(options.maxAppendSize) || options.maxAppendSize <= 0)
  ) {
    throw new Error(`invalid max append size ${options.maxAppendSize}`);
  }
  const log =
    options.log ?? ((line: string) => process.stderr.write(`embedded-eventstore: ${line}\n`));
  const store = await EventStore.open({ ...options, log });
  const persistent = new PersistentSubscriptions(store);
  try {
    await writeStartupSystemEvents(store, randomUUID());
    await persistent.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  let secrets: ServerSecrets | undefined;
  let tempSecrets: string | undefined;
  try {
    if (!options.insecure) {
      const dir =
        options.mem || !options.dataDir
          ? (tempSecrets = mkdtempSync(join(tmpdir(), 'embedded-eventstore-secrets-')))
          : join(options.dataDir, 'secrets');
      secrets = await ensureSecrets(dir, host);
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  const removeTempSecrets = () => {
    if (tempSecrets) rmSync(tempSecrets, { recursive: true, force: true });
  };
  const maxMessage = store.maxAppendSize + MESSAGE_HEADROOM;
  const server = new Server({
    'grpc.max_receive_message_length': maxMessage,
    'grpc.max_send_message_length': maxMessage,
    // The official client pings every 10 s by default; never treat that as abuse.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1000,
  });
  // Streamed answers framed together; calls for a user only, unless insecure.
  const served = (handlers: UntypedServiceImplementation) =>
    secrets
      ? requireUser(coalescingWrites(handlers), basicAuthChecker(secrets.password))
      : coalescingWrites(handlers);
  server.addService(streamsService, served(streamsHandlers(store)));
  server.addService(ServerFeaturesService, serverFeaturesHandlers());
  server.addService(PersistentSubscriptionsService, served(persistentHandlers(persistent)));
  widenReceiveWindowsBeforeBind(server);
  let boundPort: number;
  try {
    boundPort = await new Promise<number>((resolve, reject) => {
      const credentials = secrets
        ? ServerCredentials.createSsl(
            null,
            [{ private_key: secrets.keyPem, cert_chain: secrets.certPem }],
            false,
          )
        : ServerCredentials.createInsecure();
      server.bindAsync(`${host}:${port}`, credentials, (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
  } catch (error) {
    server.forceShutdown();
    await store.close();
    removeTempSecrets();
    throw new Error(`cannot listen on ${host}:${port}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  widenReceiveWindowsAfterBind(server);
  let stopping: Promise<void> | undefined;
  // Over TLS a client names the server by host name: an IP address as the TLS server name is against RFC 6066
  // (a warning up to Node 24, an error from Node 26, and grpc-js passes the host on as it is). The certificate
  // carries localhost for the loopback addresses.
  const tlsHost = LOOPBACK.has(host) ? 'localhost' : host;
  const connectionString = secrets
    ? `esdb://${ADMIN_USER}:${secrets.password}@${tlsHost}:${boundPort}?tls=true&tlsCAFile=${queryValue(secrets.caFile)}`
    : `esdb://${host}:${boundPort}?tls=false`;
  log(
    secrets
      ? `TLS and authentication on: user ${ADMIN_USER}, password in ${secrets.passwordFile}, CA ${secrets.caFile}`
      : 'INSECURE: no TLS, no authentication (--insecure)',
  );
  return {
    connectionString,
    port: boundPort,
    secretsDir: secrets?.dir,
    passwordFile: secrets?.passwordFile,
    stop: () =>
      (stopping ??= (async () => {
        persistent.close();
        await new Promise<void>((resolve) => {
          // Subscriptions never end on their own: give calls a moment, then cut them.
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, SHUTDOWN_GRACE_MS);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await store.close();
        removeTempSecrets();
      })()),
  };
}
