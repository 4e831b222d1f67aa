// Benchmark of the embedded EventStoreDB-compatible server through the official client.
// The server runs as a child process on a temp data dir (durable: every append fsync'd); the
// client drives it from this process. Prints a table and writes bench/results/eventstore.json.
// Every row runs against the server started `--insecure` (no TLS, no users: how they were measured before the
// server had TLS) except the `tlsCost` section, which runs the headline rows against an insecure and a secure
// (TLS + admin user, the default) server in alternating rounds. BENCH_TLS_ONLY=1 runs only that section and
// merges it into the existing results file; BENCH_TLS_ROUNDS (default 5) and BENCH_PHASE_MS set its length.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { randomUUID } from 'node:crypto';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import {
  BACKWARDS,
  binaryEvent,
  END,
  EventStoreDBClient,
  jsonEvent,
  START,
  streamNameFilter,
} from '@eventstore/db-client';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import {
  BatchAppendReq,
  BatchAppendResp,
  ReadReq,
} from '@eventstore/db-client/generated/streams_pb';
import { EMBEDDED_EVENTSTORE_NODE_FLAGS, EventStore } from '@app/embedded-eventstore';
import {
  compareModes,
  type Comparison,
  mergeIntoResults,
  type Mode,
  printComparisons,
  tlsCostHeader,
} from './support/secure-vs-insecure';
import { cpuMsOf, machineBusyMs, rssOf } from './support/cpu';
import { storageSection } from './support/eventstore-storage';

const ROOT = join(__dirname, '..');
const PAYLOAD = 'x'.repeat(440);
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 4000);
const TLS_ONLY = process.env.BENCH_TLS_ONLY === '1';
const TLS_ROUNDS = Number(process.env.BENCH_TLS_ROUNDS ?? 5);
// The storage section (payloads in the log): BENCH_STORAGE_ONLY=1 runs only it and merges it into the results file;
// BENCH_BASE_ROOT names a checkout of the server before payloads left memory (reads compared side by side);
// BENCH_LARGE_EVENTS sets the size of the store whose start and memory are measured (0 skips it).
const STORAGE_ONLY = process.env.BENCH_STORAGE_ONLY === '1';
const RESULTS_FILE = join(ROOT, 'bench', 'results', 'eventstore.json');

function event(i: number) {
  return jsonEvent({ type: 'BenchEvent', data: { i, payload: PAYLOAD } });
}
const EVENT_BYTES = Buffer.byteLength(JSON.stringify(event(123456).data));
const BINARY_DATA = new Uint8Array(Buffer.from(JSON.stringify(event(123456).data)));
function binary() {
  return binaryEvent({ type: 'BenchEvent', data: BINARY_DATA });
}

async function startServerProcess(
  dataDir: string,
  mode: Mode = 'insecure',
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      // As the launcher and `npm run embedded:eventstore` start it.
      ...EMBEDDED_EVENTSTORE_NODE_FLAGS,
      ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '-r',
      join(ROOT, 'scripts', 'register-ts.js'),
      join(ROOT, 'libs/embedded-eventstore/src/cli.ts'),
      '--data',
      dataDir,
      '--port',
      '0',
      ...(mode === 'insecure' ? ['--insecure'] : []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // The first line is the connection string the server prints (with user, password and CA file when secure).
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited with ${String(code)}`)));
  });
  return { url, child };
}

// Phases record how much of the machine other processes used meanwhile (other helpers' tests
// share these cores), so a slow figure can be told apart from a contended run.
const otherCpuShares: number[] = [];

async function withCpu<T extends { events: number }>(
  serverPid: number,
  run: () => Promise<T>,
): Promise<
  T & { serverCpuUsPerEvent: number; clientCpuUsPerEvent: number; otherCpuShare: number }
> {
  const server = cpuMsOf(serverPid);
  const client = process.cpuUsage();
  const machine = machineBusyMs();
  const wallStarted = Date.now();
  const result = await run();
  const clientUsage = process.cpuUsage(client);
  const serverMs = cpuMsOf(serverPid) - server;
  const clientMs = (clientUsage.user + clientUsage.system) / 1000;
  const capacityMs = Math.max(1, (Date.now() - wallStarted) * cpus().length);
  const otherCpuShare = Math.max(0, (machineBusyMs() - machine - serverMs - clientMs) / capacityMs);
  otherCpuShares.push(otherCpuShare);
  return {
    ...result,
    serverCpuUsPerEvent: (serverMs * 1000) / result.events,
    clientCpuUsPerEvent: (clientUsage.user + clientUsage.system) / result.events,
    otherCpuShare,
  };
}

// The same bytes appended to a plain file, one write + fdatasync per append, sequentially.
function rawFsyncRate(
  dir: string,
  eventsPerAppend: number,
): { appendsPerSec: number; eventsPerSec: number } {
  const fd = openSync(join(dir, `raw-${eventsPerAppend}.log`), 'w');
  const chunk = Buffer.alloc((EVENT_BYTES + 100) * eventsPerAppend, 7);
  const startedAt = process.hrtime.bigint();
  let appends = 0;
  while (Number(process.hrtime.bigint() - startedAt) / 1e6 < PHASE_MS / 2) {
    writeSync(fd, chunk);
    fdatasyncSync(fd);
    appends++;
  }
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  closeSync(fd);
  return { appendsPerSec: appends / seconds, eventsPerSec: (appends * eventsPerAppend) / seconds };
}

async function appendPhase(
  client: EventStoreDBClient,
  writers: number,
  batch: number,
  tag: string,
  make: (i: number) => ReturnType<typeof event> | ReturnType<typeof binary> = event,
) {
  const deadline = Date.now() + PHASE_MS;
  const latencies: number[] = [];
  let events = 0;
  const startedAt = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const stream = `bench-${tag}-w${w}`;
      for (let n = 0; Date.now() < deadline; n++) {
        const batchEvents = Array.from({ length: batch }, (_e, i) => make(n * batch + i));
        const t0 = process.hrtime.bigint();
        await client.appendToStream(stream, batchEvents);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        events += batch;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    writers,
    batch,
    events,
    eventsPerSec: events / seconds,
    appendsPerSec: latencies.length / seconds,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)],
    p99Ms: latencies[Math.floor(latencies.length * 0.99)],
  };
}

// Server capacity without the official client's per-event protobuf work: BatchAppend requests are
// serialized before the clock starts and sent over one bidi stream, as the client does.
async function rawBatchAppend(
  url: string,
  writers: number,
  appendsPerWriter: number,
  eventsPerAppend: number,
) {
  const client = rawClient(url);
  const requests = Array.from({ length: writers }, (_, w) =>
    Array.from({ length: appendsPerWriter }, () => {
      const request = new BatchAppendReq();
      const correlation = new UUID();
      correlation.setString(randomUUID());
      request.setCorrelationId(correlation);
      const options = new BatchAppendReq.Options();
      const identifier = new StreamIdentifier();
      identifier.setStreamName(Buffer.from(`bench-raw-w${w}`));
      options.setStreamIdentifier(identifier);
      options.setAny(new Empty());
      request.setOptions(options);
      for (let i = 0; i < eventsPerAppend; i++) {
        const message = new BatchAppendReq.ProposedMessage();
        const id = new UUID();
        id.setString(randomUUID());
        message.setId(id);
        message.getMetadataMap().set('type', 'BenchEvent');
        message.getMetadataMap().set('content-type', 'application/json');
        message.setData(BINARY_DATA);
        request.addProposedMessages(message);
      }
      request.setIsFinal(true);
      return { key: correlation.getString(), bytes: Buffer.from(request.serializeBinary()) };
    }),
  );
  const call = client.makeBidiStreamRequest(
    '/event_store.client.streams.Streams/BatchAppend',
    (bytes: Buffer) => bytes,
    (bytes: Buffer) => BatchAppendResp.deserializeBinary(bytes),
    new Metadata(),
  );
  const waiting = new Map<string, () => void>();
  call.on('data', (response: BatchAppendResp) => {
    if (response.hasError())
      throw new Error(`raw append failed: ${response.getError()!.getMessage()}`);
    const key = response.getCorrelationId()!.getString();
    waiting.get(key)!();
    waiting.delete(key);
  });
  const startedAt = process.hrtime.bigint();
  await Promise.all(
    requests.map(async (list) => {
      for (const { key, bytes } of list) {
        await new Promise<void>((resolve) => {
          waiting.set(key, resolve);
          call.write(bytes);
        });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  call.end();
  client.close();
  const events = writers * appendsPerWriter * eventsPerAppend;
  return {
    writers,
    batch: eventsPerAppend,
    events,
    eventsPerSec: events / seconds,
    appendsPerSec: (writers * appendsPerWriter) / seconds,
  };
}

// Server read capacity: a $all read whose messages are counted, not decoded.
async function rawReadAll(url: string, count: number) {
  const client = rawClient(url);
  const options = new ReadReq.Options();
  const all = new ReadReq.Options.AllOptions();
  all.setStart(new Empty());
  options.setAll(all);
  options.setReadDirection(ReadReq.Options.ReadDirection.FORWARDS);
  options.setCount(String(count));
  const uuidOption = new ReadReq.Options.UUIDOption();
  uuidOption.setString(new Empty());
  options.setUuidOption(uuidOption);
  options.setNoFilter(new Empty());
  const request = new ReadReq();
  request.setOptions(options);
  const startedAt = process.hrtime.bigint();
  const events = await new Promise<number>((resolve, reject) => {
    let n = 0;
    const call = client.makeServerStreamRequest(
      '/event_store.client.streams.Streams/Read',
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      Buffer.from(request.serializeBinary()),
    );
    call.on('data', () => n++);
    call.on('end', () => resolve(n));
    call.on('error', reject);
  });
  client.close();
  return { events, eventsPerSec: events / (Number(process.hrtime.bigint() - startedAt) / 1e9) };
}

function rawClient(url: string): Client {
  return new Client(new URL(url.replace(/^esdb:/, 'http:')).host, credentials.createInsecure(), {
    'grpc-node.flow_control_window': 8 * 1024 * 1024,
  });
}

async function timeRead(
  read: () => AsyncIterable<unknown>,
): Promise<{ events: number; eventsPerSec: number }> {
  const startedAt = process.hrtime.bigint();
  let events = 0;
  for await (const _ of read()) events++;
  return { events, eventsPerSec: events / (Number(process.hrtime.bigint() - startedAt) / 1e9) };
}

async function subscriptionCatchUp(client: EventStoreDBClient, count: number) {
  const subscription = client.subscribeToAll({ fromPosition: START });
  const startedAt = process.hrtime.bigint();
  let events = 0;
  for await (const _ of subscription) {
    if (++events >= count) break;
  }
  await subscription.unsubscribe();
  return { events, eventsPerSec: events / (Number(process.hrtime.bigint() - startedAt) / 1e9) };
}

async function subscriptionLive(client: EventStoreDBClient) {
  const prefix = `bench-live-${Date.now()}`;
  const subscription = client.subscribeToAll({
    fromPosition: END,
    filter: streamNameFilter({ prefixes: [prefix] }),
  });
  const total = 8 * 40 * 100;
  const received = (async () => {
    let events = 0;
    for await (const _ of subscription) if (++events >= total) break;
    return events;
  })();
  await new Promise((resolve) => subscription.once('caughtUp', resolve));
  const startedAt = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let n = 0; n < 40; n++) {
        await client.appendToStream(
          `${prefix}-${w}`,
          Array.from({ length: 100 }, (_e, i) => event(i)),
        );
      }
    }),
  );
  const events = await received;
  await subscription.unsubscribe();
  return { events, eventsPerSec: events / (Number(process.hrtime.bigint() - startedAt) / 1e9) };
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

// Memory of the server state, measured on the store itself (no client in the picture): a mem-mode
// store is loaded with ~500 B events, then the process is measured after full GCs before and after,
// next to the store's own accounting of its slabs and index columns.
async function memoryPerMillion(count: number) {
  collectGarbage();
  const before = process.memoryUsage();
  const store = await EventStore.open({ mem: true });
  const data = Buffer.from(BINARY_DATA);
  for (let n = 0; n < count; n += 100) {
    await store.append(
      `mem-${n % 1000}`,
      'any',
      Array.from({ length: 100 }, () => ({
        id: randomUUID(),
        type: 'BenchEvent',
        contentType: 'application/json',
        data,
        metadata: Buffer.alloc(0),
      })),
    );
  }
  collectGarbage();
  const after = process.memoryUsage();
  const footprint = store.table.footprint();
  await store.close();
  const scale = 1_000_000 / count;
  const mb = (bytes: number) => (bytes * scale) / 1024 / 1024;
  return {
    eventsLoaded: count,
    eventPayloadBytes: EVENT_BYTES,
    rssMBPerMillion: mb(after.rss - before.rss),
    heapUsedMBPerMillion: mb(after.heapUsed - before.heapUsed),
    externalMBPerMillion: mb(after.external - before.external),
    heapPlusExternalMBPerMillion: mb(
      after.heapUsed + after.external - before.heapUsed - before.external,
    ),
    stateSlabMBPerMillion: mb(footprint.slabBytes),
    stateColumnMBPerMillion: mb(footprint.columnBytes),
    storedBytesPerEvent: store.table.bytesStored / count,
  };
}

// TLS and authentication cost: an insecure and a secure server side by side (separate data dirs), the same
// headline workloads against each in alternating rounds. Connection strings are the ones the servers print.
async function tlsCost(workDir: string): Promise<Record<string, unknown>> {
  const header = tlsCostHeader({
    phaseMs: PHASE_MS,
    rounds: TLS_ROUNDS,
    quick: TLS_ONLY,
    how: 'Two server processes, one --insecure and one with the defaults (TLS with the generated CA, user admin), each on its own durable temp data dir; one official client per server, built from the connection string the server printed, created once. Each round runs a workload against both, insecure first in even rounds and secure first in odd ones; figures are medians over the rounds. costPercent = 1 - secure/insecure.',
  });
  const servers = {} as Record<
    Mode,
    { url: string; child: ChildProcess; client: EventStoreDBClient }
  >;
  for (const mode of ['insecure', 'secure'] as const) {
    const { url, child } = await startServerProcess(join(workDir, `tls-${mode}`), mode);
    servers[mode] = { url, child, client: EventStoreDBClient.connectionString(url) };
  }
  if (!servers.secure.url.includes('tls=true') || servers.insecure.url.includes('tls=true'))
    throw new Error(
      `unexpected connection strings: ${servers.insecure.url} / ${servers.secure.url}`,
    );
  const pids = (mode: Mode) => ({ client: process.pid, server: servers[mode].child.pid! });
  const comparisons: Comparison[] = [];
  try {
    // Warm-up of both (JIT, TLS handshake, HTTP/2 connection), not measured.
    for (const mode of ['insecure', 'secure'] as const) {
      await appendPhaseFor(servers[mode].client, 8, 100, `warm-${mode}`, 500);
    }
    const appendComparison = async (writers: number, batch: number) =>
      comparisons.push(
        await compareModes(
          `append ${writers} writers x batch ${batch}, JSON events`,
          'events/s',
          TLS_ROUNDS,
          pids,
          async (mode, round) => {
            const r = await appendPhase(
              servers[mode].client,
              writers,
              batch,
              `tls-${mode}-${writers}x${batch}-r${round}`,
            );
            return { units: r.events, seconds: r.events / r.eventsPerSec };
          },
        ),
      );
    await appendComparison(64, 100);
    await appendComparison(64, 1);
    await appendComparison(1, 1);
    comparisons.push(
      await compareModes(
        'read $all (first 100 000 events)',
        'events/s',
        TLS_ROUNDS,
        pids,
        async (mode) => {
          const r = await timeRead(() =>
            servers[mode].client.readAll({ fromPosition: START, maxCount: 100_000 }),
          );
          return { units: r.events, seconds: r.events / r.eventsPerSec };
        },
      ),
    );
  } finally {
    for (const mode of ['insecure', 'secure'] as const) {
      await servers[mode].client.dispose();
      servers[mode].child.kill('SIGTERM');
      await new Promise((resolve) => servers[mode].child.once('exit', resolve));
    }
  }
  printComparisons('embedded-eventstore', comparisons);
  return { ...header, loadAverageAtEnd: loadavg(), comparisons };
}

function runStorageSection(workDir: string): Promise<Record<string, unknown>> {
  return storageSection({
    root: ROOT,
    baseRoot: process.env.BENCH_BASE_ROOT,
    workDir,
    eventData: (i) => Buffer.from(JSON.stringify(event(i).data)),
    largeEvents: Number(process.env.BENCH_LARGE_EVENTS ?? 10_000_000),
    compareEvents: 300_000,
    rounds: Number(process.env.BENCH_STORAGE_ROUNDS ?? 3),
  });
}

// A short fixed-length append phase (warm-up).
async function appendPhaseFor(
  client: EventStoreDBClient,
  writers: number,
  batch: number,
  tag: string,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (Date.now() < deadline) {
        await client.appendToStream(
          `bench-${tag}-w${w}`,
          Array.from({ length: batch }, (_e, i) => event(i)),
        );
      }
    }),
  );
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'es-bench-'));
  const only = TLS_ONLY
    ? { key: 'tlsCost', run: tlsCost }
    : STORAGE_ONLY
      ? { key: 'storage', run: runStorageSection }
      : undefined;
  if (only) {
    try {
      const section = await only.run(workDir);
      mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
      mergeIntoResults(RESULTS_FILE, only.key, section);
      console.log(`${only.key} merged into bench/results/eventstore.json (other figures kept)`);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
    return;
  }
  const started = Date.now();
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    eventDataBytes: EVENT_BYTES,
    phaseMs: PHASE_MS,
    durable: true,
    serverMode: 'insecure (--insecure: no TLS, no users) for every row outside tlsCost',
    loadAverageAtStart: loadavg(),
    notes: [
      'Every row outside tlsCost runs against the server started --insecure (no TLS, no users), as all rows were measured before the server had TLS; tlsCost compares the headline rows against an insecure and a secure (TLS + admin, the default) server in alternating rounds.',
      'Server in a child process on a temp data dir, every append fsync-acknowledged with group commit; client (official @eventstore/db-client) in this process; both share the same 2 cores.',
      'JSON events cost the official client a JSON.stringify + base64 round trip per event and a second protobuf serialization to size each batch; "server only" rows drive the server with pre-serialized requests / undecoded responses through raw grpc-js to show the server-side capacity.',
      'serverCpuUsPerEvent / clientCpuUsPerEvent: CPU time (user+system) of the server process and of this client process during a phase, divided by its events; far steadier than throughput when other work shares the cores.',
      'ratioToRawFile compares with write+fdatasync of the same bytes to a plain file, one fsync per append, sequentially (batch 1 rows against 1-event appends, batch 100 rows against 100-event appends).',
      'otherCpuShare: share of the machine (all cores) that processes other than this benchmark and its server used during a phase; above a few percent the phase ran contended. otherCpuShareMax is the largest over the phases.',
      'Memory: an in-process mem-mode server loaded through the client, measured after full GCs before and after; heap+external covers the columnar index and the slabs holding each event encoded once as protobuf.',
    ],
  };
  try {
    const raw1 = rawFsyncRate(workDir, 1);
    const raw100 = rawFsyncRate(workDir, 100);
    results.rawFile = { singleEventAppend: raw1, batch100Append: raw100 };

    const { url, child } = await startServerProcess(join(workDir, 'data'));
    const client = EventStoreDBClient.connectionString(url);
    const rssStart = rssOf(child.pid!);
    const appends = [];
    let totalEvents = 0;
    for (const batch of [1, 100]) {
      for (const writers of [1, 8, 64]) {
        const result = await withCpu(child.pid!, () =>
          appendPhase(client, writers, batch, `${writers}x${batch}`),
        );
        const raw = batch === 1 ? raw1 : raw100;
        appends.push({ ...result, ratioToRawFile: result.eventsPerSec / raw.eventsPerSec });
        totalEvents += result.events;
        console.log(
          `append ${writers} writers x ${batch}: ${Math.round(result.eventsPerSec)} events/s`,
        );
      }
    }
    // Where the binary events begin in $all, to time reads of them alone later.
    let binaryFrom: { commit: bigint; prepare: bigint } | undefined;
    for await (const last of client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 1,
    })) {
      binaryFrom = last.event?.position;
    }
    const binary64 = await withCpu(child.pid!, () =>
      appendPhase(client, 64, 100, 'bin64x100', binary),
    );
    totalEvents += binary64.events;
    results.appendBinaryEvents = {
      ...binary64,
      ratioToRawFile: binary64.eventsPerSec / raw100.eventsPerSec,
    };
    console.log(`append 64 writers x 100 binary: ${Math.round(binary64.eventsPerSec)} events/s`);
    results.append = appends;
    const rawAppend = await withCpu(child.pid!, () => rawBatchAppend(url, 64, 12, 100));
    const rawSingle = await withCpu(child.pid!, () => rawBatchAppend(url, 64, 60, 1));
    totalEvents += rawAppend.events + rawSingle.events;
    results.serverCapacityBatchAppend = rawAppend;
    results.serverCapacitySingleEventAppends = {
      ...rawSingle,
      ratioToRawFile: rawSingle.eventsPerSec / raw1.eventsPerSec,
    };

    const stream = `bench-read-${Date.now()}`;
    for (let n = 0; n < 100; n++) {
      await client.appendToStream(
        stream,
        Array.from({ length: 100 }, (_e, i) => event(n * 100 + i)),
      );
    }
    totalEvents += 10_000;
    const streamReads = [];
    for (let i = 0; i < 5; i++) streamReads.push(await timeRead(() => client.readStream(stream)));
    results.readStream10k = {
      events: streamReads[0].events,
      eventsPerSec: streamReads.reduce((sum, r) => sum + r.eventsPerSec, 0) / streamReads.length,
    };
    // The same reads of events whose data the client hands over as bytes (no JSON parsing on the client side).
    const binaryStream = `bench-read-binary-${Date.now()}`;
    for (let n = 0; n < 100; n++) {
      await client.appendToStream(
        binaryStream,
        Array.from({ length: 100 }, () => binary()),
      );
    }
    totalEvents += 10_000;
    const binaryStreamReads = [];
    for (let i = 0; i < 5; i++) {
      binaryStreamReads.push(await timeRead(() => client.readStream(binaryStream)));
    }
    results.readStream10kBinary = {
      events: binaryStreamReads[0].events,
      eventsPerSec:
        binaryStreamReads.reduce((sum, r) => sum + r.eventsPerSec, 0) / binaryStreamReads.length,
    };
    results.readAllBinary = await withCpu(child.pid!, () =>
      timeRead(() =>
        client.readAll({
          fromPosition: binaryFrom ?? START,
          maxCount: Math.min(binary64.events, 200_000),
        }),
      ),
    );
    const allCount = Math.min(totalEvents, 300_000);
    results.readAll = await withCpu(child.pid!, () =>
      timeRead(() => client.readAll({ fromPosition: START, maxCount: allCount })),
    );
    results.serverCapacityReadAll = await withCpu(child.pid!, () => rawReadAll(url, allCount));
    results.subscriptionCatchUp = await withCpu(child.pid!, () =>
      subscriptionCatchUp(client, allCount),
    );
    results.subscriptionLive = await subscriptionLive(client);
    results.serverProcess = {
      eventsStored: totalEvents + 32_000,
      rssStartMB: rssStart / 1024 / 1024,
      rssEndMB: rssOf(child.pid!) / 1024 / 1024,
    };
    await client.dispose();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));

    // Start-up cost: replaying the whole log of this run (checksums, index rebuild).
    const recoveryStarted = process.hrtime.bigint();
    const reopened = await EventStore.open({ dataDir: join(workDir, 'data') });
    const recoveryMs = Number(process.hrtime.bigint() - recoveryStarted) / 1e6;
    results.recovery = {
      ...reopened.recovery,
      ms: recoveryMs,
      eventsPerSec: (reopened.recovery?.events ?? 0) / (recoveryMs / 1000),
    };
    await reopened.close();

    results.tlsCost = await tlsCost(workDir);
    results.memory = await memoryPerMillion(Number(process.env.BENCH_MEMORY_EVENTS ?? 500_000));
    results.storage = await runStorageSection(workDir);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  results.totalSeconds = (Date.now() - started) / 1000;
  results.loadAverageAtEnd = loadavg();
  results.otherCpuShareMax = Math.max(0, ...otherCpuShares);
  results.otherCpuShareMean =
    otherCpuShares.reduce((sum, share) => sum + share, 0) / Math.max(1, otherCpuShares.length);
  printTable(results);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
}

function printTable(results: Record<string, unknown>): void {
  const rows: [string, string][] = [];
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const raw = results.rawFile as Record<string, { eventsPerSec: number; appendsPerSec: number }>;
  rows.push([
    'raw file: write+fdatasync per event',
    `${fmt(raw.singleEventAppend.eventsPerSec)} events/s`,
  ]);
  rows.push([
    'raw file: write+fdatasync per 100 events',
    `${fmt(raw.batch100Append.eventsPerSec)} events/s`,
  ]);
  for (const a of results.append as {
    writers: number;
    batch: number;
    eventsPerSec: number;
    appendsPerSec: number;
    p99Ms: number;
    ratioToRawFile: number;
    serverCpuUsPerEvent: number;
    clientCpuUsPerEvent: number;
    otherCpuShare: number;
  }[]) {
    rows.push([
      `append ${a.writers} writers x batch ${a.batch}`,
      `${fmt(a.eventsPerSec)} events/s (${fmt(a.appendsPerSec)} appends/s, p99 ${a.p99Ms.toFixed(1)} ms, ${a.ratioToRawFile.toFixed(2)}x raw file; cpu/event server ${a.serverCpuUsPerEvent.toFixed(1)} us, client ${a.clientCpuUsPerEvent.toFixed(1)} us; others ${(a.otherCpuShare * 100).toFixed(0)}%)`,
    ]);
  }
  const bin = results.appendBinaryEvents as {
    eventsPerSec: number;
    ratioToRawFile: number;
    serverCpuUsPerEvent: number;
    clientCpuUsPerEvent: number;
  };
  rows.push([
    'append 64 writers x batch 100, binary events',
    `${fmt(bin.eventsPerSec)} events/s (${bin.ratioToRawFile.toFixed(2)}x raw file; cpu/event server ${bin.serverCpuUsPerEvent.toFixed(1)} us, client ${bin.clientCpuUsPerEvent.toFixed(1)} us)`,
  ]);
  const capacity = results.serverCapacityBatchAppend as {
    eventsPerSec: number;
    serverCpuUsPerEvent: number;
  };
  rows.push([
    'server only: raw BatchAppend 64 x 100',
    `${fmt(capacity.eventsPerSec)} events/s (server cpu ${capacity.serverCpuUsPerEvent.toFixed(1)} us/event)`,
  ]);
  const single = results.serverCapacitySingleEventAppends as {
    eventsPerSec: number;
    ratioToRawFile: number;
  };
  rows.push([
    'server only: raw BatchAppend 64 x 1',
    `${fmt(single.eventsPerSec)} events/s (${single.ratioToRawFile.toFixed(2)}x raw file: fsync shared)`,
  ]);
  const r = (key: string) =>
    results[key] as {
      events: number;
      eventsPerSec: number;
      serverCpuUsPerEvent?: number;
      clientCpuUsPerEvent?: number;
      otherCpuShare?: number;
    };
  const cpu = (key: string) =>
    r(key).serverCpuUsPerEvent === undefined
      ? ''
      : ` (cpu/event server ${r(key).serverCpuUsPerEvent!.toFixed(1)} us, client ${r(key).clientCpuUsPerEvent!.toFixed(1)} us; others ${(r(key).otherCpuShare! * 100).toFixed(0)}%)`;
  rows.push(['read stream of 10 000 events', `${fmt(r('readStream10k').eventsPerSec)} events/s`]);
  rows.push([
    'read stream of 10 000 binary events',
    `${fmt(r('readStream10kBinary').eventsPerSec)} events/s`,
  ]);
  rows.push([
    `read $all, binary events (${fmt(r('readAllBinary').events)})`,
    `${fmt(r('readAllBinary').eventsPerSec)} events/s${cpu('readAllBinary')}`,
  ]);
  rows.push([
    `read $all (${fmt(r('readAll').events)} events)`,
    `${fmt(r('readAll').eventsPerSec)} events/s${cpu('readAll')}`,
  ]);
  rows.push([
    'server only: raw $all read, not decoded',
    `${fmt(r('serverCapacityReadAll').eventsPerSec)} events/s${cpu('serverCapacityReadAll')}`,
  ]);
  rows.push([
    'subscription catch-up from $all start',
    `${fmt(r('subscriptionCatchUp').eventsPerSec)} events/s${cpu('subscriptionCatchUp')}`,
  ]);
  rows.push([
    'subscription live (8 writers x 100)',
    `${fmt(r('subscriptionLive').eventsPerSec)} events/s`,
  ]);
  const recovery = results.recovery as { events: number; ms: number; eventsPerSec: number };
  rows.push([
    `recovery: replay the run's log (${fmt(recovery.events)} events)`,
    `${fmt(recovery.ms)} ms (${fmt(recovery.eventsPerSec)} events/s)`,
  ]);
  const m = results.memory as Record<string, number>;
  rows.push(['memory per million events (RSS delta)', `${fmt(m.rssMBPerMillion)} MB`]);
  rows.push([
    'memory per million events (state: slabs+columns)',
    `${fmt(m.stateSlabMBPerMillion + m.stateColumnMBPerMillion)} MB (${fmt(m.storedBytesPerEvent)} B stored per event)`,
  ]);
  rows.push([
    'memory per million events (heap+external)',
    `${fmt(m.heapPlusExternalMBPerMillion)} MB`,
  ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(
    `\nembedded-eventstore benchmark (${results.cpus as number} cpus, ${results.eventDataBytes as number} B events; server --insecure, see the TLS table above for the secure mode)`,
  );
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
  console.log(
    `other processes' CPU share during measured phases: mean ${pct(results.otherCpuShareMean as number)}, max ${pct(results.otherCpuShareMax as number)}`,
  );
  console.log(
    `total ${(results.totalSeconds as number).toFixed(1)} s; JSON in bench/results/eventstore.json`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
