// The storage section of bench:eventstore: what keeping payloads in the log files costs and saves.
//  - reads through the official client against today's server and the one before payloads left memory
//    (a checkout of it named by BENCH_BASE_ROOT), side by side on copies of one data dir, in alternating rounds;
//  - a large store (BENCH_LARGE_EVENTS, default 10 million events) built in chunk files: the time a start takes
//    (in process and as a server process until it serves), and the server's resident memory per stored event
//    beyond an empty server and the read cache, after reads through the client filled that cache.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BACKWARDS, END, EventStoreDBClient, START } from '@eventstore/db-client';
import { EMBEDDED_EVENTSTORE_NODE_FLAGS, EventStore } from '@app/embedded-eventstore';
import { cpuMsOf, rssOf } from './cpu';

const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

export interface StorageBenchOptions {
  root: string;
  baseRoot: string | undefined;
  workDir: string;
  /** The JSON data of every event (the bench's 465-byte event). */
  eventData: (i: number) => Buffer;
  largeEvents: number;
  compareEvents: number;
  rounds: number;
}

interface ServerProcess {
  child: ChildProcess;
  url: string;
  readyMs: number;
}

/**
 * A server process (`root`'s cli.ts, --insecure) on `dataDir`; resolves when it prints its connection string. Each
 * server runs with the V8 flags it is started with in production: today's its EMBEDDED_EVENTSTORE_NODE_FLAGS, the
 * one before (which had none) with none.
 */
export async function startServer(
  root: string,
  dataDir: string,
  extra: string[] = [],
  nodeFlags: readonly string[] = EMBEDDED_EVENTSTORE_NODE_FLAGS,
) {
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      '-r',
      join(root, 'scripts', 'register-ts.js'),
      join(root, 'libs/embedded-eventstore/src/cli.ts'),
      '--data',
      dataDir,
      '--port',
      '0',
      '--insecure',
      ...extra,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited with ${String(code)}`)));
  });
  return { child, url, readyMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function stopServer(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
}

/** Appends `count` events in-process: 100 streams of batches of 500, 16 appends in flight. */
async function build(dataDir: string, count: number, eventData: (i: number) => Buffer) {
  const started = Date.now();
  const store = await EventStore.open({ dataDir });
  let next = 0;
  const batch = 500;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const first = next;
        next += batch;
        const size = Math.min(batch, count - first);
        const result = await store.append(
          `bench-store-${(first / batch) % 100}`,
          'any',
          Array.from({ length: size }, (_, k) => ({
            id: randomUUID(),
            type: 'BenchEvent',
            contentType: 'application/json',
            data: eventData(first + k),
            metadata: Buffer.alloc(0),
          })),
        );
        if (result.kind !== 'success') throw new Error(`build append failed: ${result.kind}`);
      }
    }),
  );
  await store.close();
  return { events: count, seconds: (Date.now() - started) / 1000 };
}

function logBytes(dataDir: string): { chunks: number; logBytes: number; indexBytes: number } {
  let chunks = 0;
  let log = 0;
  let index = 0;
  for (const name of readdirSync(dataDir)) {
    const size = statSync(join(dataDir, name)).size;
    if (/^events.*\.log$/.test(name)) {
      chunks += 1;
      log += size;
    } else if (name.endsWith('.idx')) index += size;
  }
  return { chunks, logBytes: log, indexBytes: index };
}

async function timedRead(read: () => AsyncIterable<unknown>): Promise<number> {
  return (await measuredRead(undefined, read)).eventsPerSec;
}

/** Events per second of a read through the client, and the CPU the server (`pid`) spent per event. */
async function measuredRead(pid: number | undefined, read: () => AsyncIterable<unknown>) {
  const cpuBefore = pid === undefined ? 0 : cpuMsOf(pid);
  const started = process.hrtime.bigint();
  let events = 0;
  for await (const _ of read()) events++;
  const eventsPerSec = events / (Number(process.hrtime.bigint() - started) / 1e9);
  const serverCpuUs = pid === undefined ? 0 : ((cpuMsOf(pid) - cpuBefore) * 1000) / events;
  return { eventsPerSec, serverCpuUs };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Today's server against the one before, on copies of the same data dir, reads in alternating order.
async function compareReads(options: StorageBenchOptions) {
  const dir = join(options.workDir, 'compare-new');
  const count = options.compareEvents;
  await build(dir, count, options.eventData);
  // One stream of 10 000 events for stream reads.
  const store = await EventStore.open({ dataDir: dir });
  for (let n = 0; n < 20; n++) {
    await store.append(
      'bench-read-10k',
      'any',
      Array.from({ length: 500 }, (_, k) => ({
        id: randomUUID(),
        type: 'BenchEvent',
        contentType: 'application/json',
        data: options.eventData(n * 500 + k),
        metadata: Buffer.alloc(0),
      })),
    );
  }
  await store.close();
  const baseDir = join(options.workDir, 'compare-base');
  cpSync(dir, baseDir, { recursive: true });
  const servers = {
    today: await startServer(options.root, dir),
    before: await startServer(options.baseRoot!, baseDir, [], []),
  };
  const clients = {
    today: EventStoreDBClient.connectionString(servers.today.url),
    before: EventStoreDBClient.connectionString(servers.before.url),
  };
  const names = ['today', 'before'] as const;
  type Row = Record<'today' | 'before', { eventsPerSec: number; serverCpuUs: number }[]>;
  const rows: Record<'readAll' | 'readAllBackwards' | 'readStream10k', Row> = {
    readAll: { today: [], before: [] },
    readAllBackwards: { today: [], before: [] },
    readStream10k: { today: [], before: [] },
  };
  try {
    for (const name of names) await timedRead(() => clients[name].readAll({ maxCount: 20_000 }));
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) {
        const client = clients[name];
        const pid = servers[name].child.pid!;
        rows.readAll[name].push(
          await measuredRead(pid, () => client.readAll({ fromPosition: START, maxCount: count })),
        );
        rows.readAllBackwards[name].push(
          await measuredRead(pid, () =>
            client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 100_000 }),
          ),
        );
        rows.readStream10k[name].push(
          await measuredRead(pid, () => client.readStream('bench-read-10k')),
        );
      }
    }
    const rss = {
      today: rssOf(servers.today.child.pid!),
      before: rssOf(servers.before.child.pid!),
    };
    const figures = Object.fromEntries(
      Object.entries(rows).map(([row, byServer]) => {
        const rate = (name: 'today' | 'before') =>
          median(byServer[name].map((r) => r.eventsPerSec));
        const cpu = (name: 'today' | 'before') => median(byServer[name].map((r) => r.serverCpuUs));
        return [
          row,
          {
            todayEventsPerSec: rate('today'),
            beforeEventsPerSec: rate('before'),
            ratio: rate('today') / rate('before'),
            todayServerCpuUsPerEvent: cpu('today'),
            beforeServerCpuUsPerEvent: cpu('before'),
            rounds: byServer,
          },
        ];
      }),
    );
    return {
      events: count + 10_000,
      ...logBytes(dir),
      ...figures,
      serverRssMB: { today: rss.today / 2 ** 20, before: rss.before / 2 ** 20 },
    };
  } finally {
    for (const name of names) {
      await clients[name].dispose();
      await stopServer(servers[name]);
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(baseDir, { recursive: true, force: true });
  }
}

// A large store: start time and resident memory per event.
async function largeStore(options: StorageBenchOptions) {
  const dir = join(options.workDir, 'large');
  const emptyDir = join(options.workDir, 'empty');
  mkdirSync(emptyDir, { recursive: true });
  try {
    const built = await build(dir, options.largeEvents, options.eventData);
    const files = logBytes(dir);
    console.log(
      `large store: ${built.events} events in ${built.seconds.toFixed(0)} s, ${files.chunks} chunks, ` +
        `${(files.logBytes / 2 ** 30).toFixed(2)} GiB log`,
    );
    const openStarted = process.hrtime.bigint();
    const reopened = await EventStore.open({ dataDir: dir });
    const openMs = Number(process.hrtime.bigint() - openStarted) / 1e6;
    const recovery = reopened.recovery;
    await reopened.close();

    // Resident memory: an empty server, then the large one, both after the same reads through the client.
    const measure = async (dataDir: string) => {
      const server = await startServer(options.root, dataDir);
      const client = EventStoreDBClient.connectionString(server.url);
      try {
        const rssReady = rssOf(server.child.pid!);
        const readAllEventsPerSec = await timedRead(() =>
          client.readAll({ fromPosition: START, maxCount: 300_000 }),
        );
        await timedRead(() =>
          client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 100_000 }),
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return {
          readyMs: server.readyMs,
          rssReady,
          rssAfterReads: rssOf(server.child.pid!),
          readAllEventsPerSec,
        };
      } finally {
        await client.dispose();
        await stopServer(server);
      }
    };
    const empty = await measure(emptyDir);
    const large = await measure(dir);
    const beyond = large.rssAfterReads - empty.rssAfterReads - DEFAULT_CACHE_BYTES;
    return {
      events: built.events,
      buildSeconds: built.seconds,
      ...files,
      restart: {
        inProcessOpenMs: openMs,
        recovery,
        serverProcessReadyMs: large.readyMs,
        emptyServerProcessReadyMs: empty.readyMs,
      },
      memory: {
        emptyServerRssMB: empty.rssAfterReads / 2 ** 20,
        largeServerRssReadyMB: large.rssReady / 2 ** 20,
        largeServerRssAfterReadsMB: large.rssAfterReads / 2 ** 20,
        cacheBoundMB: DEFAULT_CACHE_BYTES / 2 ** 20,
        bytesPerEventBeyondEmptyServerAndCache: beyond / built.events,
        bytesPerEventBeyondEmptyServer: (large.rssAfterReads - empty.rssAfterReads) / built.events,
      },
      readAllFromLargeStoreEventsPerSec: large.readAllEventsPerSec,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(emptyDir, { recursive: true, force: true });
  }
}

export async function storageSection(
  options: StorageBenchOptions,
): Promise<Record<string, unknown>> {
  const section: Record<string, unknown> = {
    how: "Servers are child processes started --insecure on durable temp data dirs; the client is the official one in the bench process. Data dirs are filled in process through EventStore.append (batches of 500 JSON events of the bench, 16 in flight), then served. readsComparedWithBefore: today's server and the one from BENCH_BASE_ROOT (payloads in memory) on copies of one data dir, each read row alternating which server goes first, medians over the rounds. largeStore: restart = EventStore.open in process and a server process from spawn to its connection string; memory = RSS of the server after reading 300 000 events forwards and 100 000 backwards through the client (cache filled), minus an empty server after the same reads, minus the 64 MiB cache bound, divided by the events.",
  };
  if (options.baseRoot) {
    section.readsComparedWithBefore = await compareReads(options);
    console.log('reads compared:', JSON.stringify(section.readsComparedWithBefore));
  } else {
    section.readsComparedWithBefore =
      'not run: BENCH_BASE_ROOT names no checkout of the server before this change';
  }
  if (options.largeEvents > 0) {
    section.largeStore = await largeStore(options);
    console.log('large store:', JSON.stringify(section.largeStore));
  }
  return section;
}
