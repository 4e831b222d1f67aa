import { createServer, type Server, type Socket } from 'node:net';
import { type Document } from 'bson';
import { Catalog } from '../engine/catalog';
import { expireDocuments } from '../engine/ttl-monitor';
import { dispatch } from '../commands/command-dispatcher';
import { newOpCounters, type ServerState } from '../commands/command-context';
import { CursorRegistry } from '../commands/cursor-registry';
import { Persistence, type PersistenceOptions } from '../storage/persistence';
import { type ScramConversation, type ScramVerifier } from './scram-auth';
import {
  FrameReader,
  OpCode,
  ProtocolError,
  encodeOpMsg,
  encodeOpReply,
  parseMessage,
  readHeader,
} from '../wire/wire-protocol';

export interface MongoServerOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  mem?: boolean;
  persistence?: PersistenceOptions;
  /** How often TTL indexes are applied (mongod: 60 s). */
  ttlIntervalMs?: number;
  /** When set, every connection must authenticate (SCRAM-SHA-256) before running commands. */
  auth?: ScramVerifier;
}

// What mongod with authorization on answers before a client has authenticated.
const OPEN_COMMANDS = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'buildInfo',
  'buildinfo',
  'endSessions',
]);
const HELLO_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);

/** The TCP side: frames in, one command at a time per connection, replies out. */
export class MongoServer {
  readonly state: ServerState;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private nextConnectionId = 1;
  private ttlTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MongoServerOptions) {
    this.state = {
      catalog: new Catalog(),
      persistence: undefined,
      cursors: new CursorRegistry(),
      startedAt: Date.now(),
      connections: { current: 0, totalCreated: 0 },
      opcounters: newOpCounters(),
    };
  }

  async listen(): Promise<number> {
    if (!this.options.mem) {
      if (!this.options.dataDir)
        throw new Error('embedded-mongo: either dataDir or mem: true is required');
      const persistence = new Persistence(
        this.options.dataDir,
        this.state.catalog,
        this.options.persistence,
      );
      await persistence.open();
      this.state.persistence = persistence;
    }
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        // Accept failures (e.g. too many open files) affect one connection, not the server.
        server.on('error', (error) => {
          process.stderr.write(`embedded-mongo: ${String(error)}\n`);
        });
        resolve();
      });
    }).catch(async (error: unknown) => {
      await this.state.persistence?.close();
      throw error;
    });
    this.ttlTimer = setInterval(() => {
      const changes = expireDocuments(this.state.catalog);
      if (changes.ops.length > 0)
        void this.state.persistence?.commit(changes).catch(() => undefined);
    }, this.options.ttlIntervalMs ?? 60_000);
    this.ttlTimer.unref();
    const address = server.address();
    if (address === null || typeof address === 'string')
      throw new Error('embedded-mongo: no TCP address');
    return address.port;
  }

  private accept(socket: Socket): void {
    const connectionId = this.nextConnectionId++;
    this.sockets.add(socket);
    this.state.connections.current++;
    this.state.connections.totalCreated++;
    const reader = new FrameReader();
    const conversation = this.options.auth?.conversation();
    let queue = Promise.resolve();
    socket.on('data', (chunk) => {
      reader.push(chunk);
      for (;;) {
        const frame = reader.next();
        if (frame === undefined) break;
        if (typeof frame === 'string') {
          // The stream cannot be resynchronized after a bogus length: drop the connection.
          socket.destroy();
          return;
        }
        // handle() answers every failure itself; anything escaping it means the connection is unusable.
        queue = queue
          .then(() => this.handle(socket, frame, connectionId, conversation))
          .catch(() => {
            socket.destroy();
          });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.state.connections.current--;
    });
  }

  private async handle(
    socket: Socket,
    frame: Buffer,
    connectionId: number,
    conversation: ScramConversation | undefined,
  ): Promise<void> {
    if (socket.destroyed) return;
    const header = readHeader(frame);
    let reply: Document;
    let kind: 'msg' | 'query' = header.opCode === OpCode.QUERY ? 'query' : 'msg';
    let moreToCome = false;
    try {
      const message = parseMessage(frame);
      kind = message.kind;
      moreToCome = message.moreToCome;
      const name = Object.keys(message.body)[0] ?? '';
      if (conversation && (name === 'saslStart' || name === 'saslContinue')) {
        reply = conversation.handle(message.body);
      } else if (conversation && !conversation.authenticated && !OPEN_COMMANDS.has(name)) {
        reply = {
          ok: 0,
          errmsg: `Command ${name} requires authentication`,
          code: 13,
          codeName: 'Unauthorized',
        };
      } else {
        reply = await dispatch(this.state, message.body, connectionId, message.sequenceSizes);
        if (conversation && HELLO_COMMANDS.has(name) && 'saslSupportedMechs' in message.body)
          reply.saslSupportedMechs = ['SCRAM-SHA-256'];
      }
    } catch (error) {
      if (header.opCode !== OpCode.MSG && header.opCode !== OpCode.QUERY) {
        socket.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      reply = {
        ok: 0,
        errmsg:
          error instanceof ProtocolError
            ? `invalid message: ${message}`
            : `invalid BSON: ${message}`,
        code: 22,
        codeName: 'InvalidBSON',
      };
    }
    if (moreToCome || socket.destroyed) return;
    let out: Buffer;
    try {
      out =
        kind === 'query'
          ? encodeOpReply(header.requestId, reply)
          : encodeOpMsg(header.requestId, reply);
    } catch (error) {
      const errmsg = `reply could not be encoded: ${error instanceof Error ? error.message : String(error)}`;
      out = encodeOpMsg(header.requestId, {
        ok: 0,
        errmsg,
        code: 10334,
        codeName: 'BSONObjectTooLarge',
      });
    }
    socket.write(out);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (this.ttlTimer) clearInterval(this.ttlTimer);
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.state.persistence?.close();
  }
}
