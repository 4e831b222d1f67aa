import { type Document, Long, ObjectId, UUID } from 'bson';
import { MAX_BSON_BYTES, MAX_MESSAGE_BYTES } from '../wire/wire-protocol';
import { type CommandHandler } from './command-context';

export const SERVER_VERSION = '7.0.0';
// Wire version 21 is MongoDB 7.0: inside the range both driver majors (6.x and 7.x) accept.
const MAX_WIRE_VERSION = 21;
const processId = new ObjectId();

const hello: CommandHandler = (ctx) => {
  const legacy = 'isMaster' in ctx.body || 'ismaster' in ctx.body;
  const reply: Document = {
    helloOk: true,
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    maxBsonObjectSize: MAX_BSON_BYTES,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: 100000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
  return reply;
};

const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  gitVersion: 'embedded-mongo',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_BYTES,
  storageEngines: ['embedded'],
  modules: [],
  ok: 1,
});

const getParameter: CommandHandler = (ctx) => {
  const reply: Document = {};
  if ('featureCompatibilityVersion' in ctx.body || ctx.body.getParameter === '*') {
    reply.featureCompatibilityVersion = { version: '7.0' };
  }
  reply.ok = 1;
  return reply;
};

const serverStatus: CommandHandler = (ctx) => {
  // Non-standard: benchmarks ask for a collection first so heap figures are not garbage-dominated.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (ctx.body.embeddedGc === true && gc) gc();
  const memory = process.memoryUsage();
  const { state } = ctx;
  let documents = 0;
  for (const colls of state.catalog.databases.values())
    for (const s of colls.values()) documents += s.records.size;
  return {
    host: 'embedded-mongo',
    version: SERVER_VERSION,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: (Date.now() - state.startedAt) / 1000,
    uptimeMillis: Long.fromNumber(Date.now() - state.startedAt),
    localTime: new Date(),
    connections: {
      current: state.connections.current,
      totalCreated: state.connections.totalCreated,
      available: 1000,
    },
    opcounters: Object.fromEntries(
      Object.entries(state.opcounters).map(([name, count]) => [name, Long.fromNumber(count)]),
    ),
    mem: {
      bits: 64,
      resident: Math.round(memory.rss / 1048576),
      virtual: Math.round(memory.rss / 1048576),
      supported: true,
    },
    // Not a mongod field: lets benchmarks measure memory per document without guessing.
    embedded: {
      heapUsedBytes: memory.heapUsed,
      documents,
      openCursors: state.cursors.size,
      journal: state.persistence?.journalStats() ?? { records: 0, flushes: 0 },
      processId,
    },
    ok: 1,
  };
};

const ok: CommandHandler = () => ({ ok: 1 });

const startSession: CommandHandler = () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 });

const connectionStatus: CommandHandler = () => ({
  authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
  ok: 1,
});

const whatsmyuri: CommandHandler = () => ({ you: '127.0.0.1:0', ok: 1 });

const hostInfo: CommandHandler = () => ({
  system: { currentTime: new Date(), hostname: 'embedded-mongo', numCores: 1 },
  os: { type: process.platform },
  ok: 1,
});

const dbStats: CommandHandler = (ctx) => {
  const colls = ctx.state.catalog.databases.get(ctx.db);
  let objects = 0;
  let indexes = 0;
  let views = 0;
  for (const s of colls?.values() ?? []) {
    if (s.view) {
      views++;
      continue;
    }
    objects += s.records.size;
    indexes += s.indexes.size + 1;
  }
  const collections = (colls?.size ?? 0) - views;
  return { db: ctx.db, collections, views, objects, indexes, ok: 1 };
};

// mongod's compact rewrites a collection's storage; here it rewrites all of it and deletes every older journal and
// snapshot, so a value overwritten before (a destroyed key) is in no file any more. In memory: nothing to do.
const compact: CommandHandler = async (ctx) => {
  await ctx.state.persistence?.purgeHistory();
  return { bytesFreed: 0, ok: 1 };
};

export const adminCommands: Record<string, CommandHandler> = {
  compact,
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: ok,
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  serverStatus,
  endSessions: ok,
  killSessions: ok,
  killAllSessions: ok,
  refreshSessions: ok,
  startSession,
  connectionStatus,
  whatsmyuri,
  hostInfo,
  dbStats,
  getLastError: () => ({ n: 0, err: null, ok: 1 }),
};
