// Ingestion benchmark: touchpoints per second through the API's single and batch routes, with 1 and 32
// concurrent clients, beside the raw append rate of the same events straight to the same store through the
// official client (the ceiling). Embedded servers and the API run as child processes on temp data dirs
// (durable: every append and key write fsync'd), as `npm start` runs them; this process only generates load.
// Prints a table and writes bench/results/ingest.json.
// Every row runs against servers started `--insecure` (no TLS, no users: how they were measured before the
// servers had them) except the `tlsCost` section: two whole stacks (event store, MongoDB, API), one insecure and
// one with the defaults (event store TLS + admin user, MongoDB SCRAM-SHA-256), the headline rows against each in
// alternating rounds. BENCH_TLS_ONLY=1 runs only that section and merges it into the existing results file;
// BENCH_TLS_ROUNDS (default 5) and BENCH_SCALE set its length.
// The `sealingCost` section compares the API as main.ts composes it with a second API process whose customer store
// seals nothing and chains nothing (bench/support/baseline-api.main.ts), on the same stores in alternating rounds:
// what encryption and chaining cost on the ingestion routes. BENCH_SEALING_ONLY=1 runs only that section and merges
// it into the results file; BENCH_SEAL_ROUNDS (default 3) sets its rounds.
// The `beforeHardening` section runs the API of a checkout of the commit before the ingestion hardening
// (BENCH_BEFORE_ROOT, e.g. `git worktree add /tmp/before 3d9814d` with node_modules linked in), today's API and
// today's without the touchpoint id claims side by side on the same servers; without BENCH_BEFORE_ROOT the last
// comparison is kept, marked as not rerun. BENCH_BEFORE_ONLY=1 runs only it and merges it; BENCH_BEFORE_ROUNDS
// (default 6) sets its rounds.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANY, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { customerStreamId, touchpointEventId } from '@app/domain';
import { connectMongo, TouchpointIdStore } from '@app/read-models';
import {
  compareModes,
  type Comparison,
  mergeIntoResults,
  type Mode,
  printComparisons,
  tlsCostHeader,
  withOtherCpuShare,
} from './support/secure-vs-insecure';
import { startProcess, stop } from './support/processes';

const ROOT = join(__dirname, '..');
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const TLS_ONLY = process.env.BENCH_TLS_ONLY === '1';
const TLS_ROUNDS = Number(process.env.BENCH_TLS_ROUNDS ?? 5);
const RESULTS_FILE = join(ROOT, 'bench/results/ingest.json');
/** BENCH_SEALING_ONLY=1 runs only the sealing comparison and merges it into the results file. */
const SEALING_ONLY = process.env.BENCH_SEALING_ONLY === '1';
const SEAL_ROUNDS = Number(process.env.BENCH_SEAL_ROUNDS ?? 3);
/** A checkout of the commit before the hardening (issue 10) with its node_modules, for `beforeHardening`. */
const BEFORE_ROOT = process.env.BENCH_BEFORE_ROOT;
/** The commit before the hardening. */
const BEFORE_COMMIT = '3d9814d';
/** BENCH_BEFORE_ONLY=1 runs only the before/now comparison and merges it into the results file. */
const BEFORE_ONLY = process.env.BENCH_BEFORE_ONLY === '1';
// Six: with three APIs, each goes first twice and follows each of the others as often (see roundOrder).
const BEFORE_ROUNDS = Number(process.env.BENCH_BEFORE_ROUNDS ?? 6);
/** Issue 8's target: encryption plus chaining under 20 % of ingestion throughput. */
const SEAL_TARGET_PERCENT = 20;
const SEAL_MODES = ['sealed', 'baseline'] as const;
type SealMode = (typeof SEAL_MODES)[number];

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function post(url: URL, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        headers: {
          Authorization: 'Bearer dev-ingest',
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Touchpoints as emitters send them: purchases and visits (whose `page` is sealed) in turn, one in `noteEvery` (ten;
 * 0: none) with a free-text note; purchases only without `visits`.
 */
function makeTouchpoints(
  count: number,
  customers: string[],
  noteEvery = 10,
  { visits = true } = {},
): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => {
    const customerId = customers[Math.floor(Math.random() * customers.length)];
    const common = {
      touchpointId: randomUUID(),
      source: 'bench-till',
      customerId,
      occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      channel: i % 3 === 0 ? 'web' : 'store',
      direction: 'inbound',
      department: 'sales',
      region: 'north',
      ...(noteEvery > 0 && i % noteEvery === 0
        ? { note: 'Asked about delivery times for the new range' }
        : {}),
    };
    return i % 2 === 0 || !visits
      ? {
          ...common,
          kind: 'purchase',
          orderId: `o-${randomUUID()}`,
          amount: 42.5,
          currency: 'EUR',
          margin: 12,
        }
      : { ...common, kind: 'visit', page: '/products/42', durationSeconds: 95 };
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A row of the table from what `drive` measured. */
function rowOf(
  scenario: string,
  clients: number,
  batch: number,
  touchpoints: number,
  { seconds, latencies }: { seconds: number; latencies: number[] },
): Row {
  return {
    scenario,
    clients,
    batch,
    touchpoints,
    touchpointsPerSec: touchpoints / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

interface Row {
  scenario: string;
  clients: number;
  batch: number;
  touchpoints: number;
  touchpointsPerSec: number;
  eventsPerSec?: number;
  p50Ms: number;
  p99Ms: number;
  ratioToRaw?: number;
}

/** `clients` loops each sending its share of requests one after another. */
async function drive(
  clients: number,
  requests: string[],
  send: (body: string) => Promise<void>,
): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const began = process.hrtime.bigint();
        await send(requests[i]);
        latencies.push(Number(process.hrtime.bigint() - began) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, latencies: latencies.sort((a, b) => a - b) };
}

interface Stack {
  mode: Mode;
  /** Connection strings as the servers printed them. */
  eventStoreUrl: string;
  mongoUrl: string;
  apiUrl: URL;
  pids: { es: number; mongo: number; api: number };
  children: ChildProcess[];
}

/** Event store, MongoDB and the API on fresh data dirs under `work`; the API gets the printed connection strings. */
async function startStack(work: string, mode: Mode, children: ChildProcess[]): Promise<Stack> {
  const insecure = mode === 'insecure' ? ['--insecure'] : [];
  mkdirSync(join(work, `es-${mode}`));
  mkdirSync(join(work, `mongo-${mode}`));
  const es = await startProcess(
    'libs/embedded-eventstore/src/cli.ts',
    ['--port', '0', '--data', join(work, `es-${mode}`), ...insecure],
    {},
    /(esdb:\/\/\S+)/,
  );
  children.push(es.child);
  const mongo = await startProcess(
    'libs/embedded-mongo/src/cli.ts',
    ['--port', '0', '--data', join(work, `mongo-${mode}`), ...insecure],
    {},
    /(mongodb:\/\/\S+)/,
  );
  children.push(mongo.child);
  const api = await startProcess(
    'apps/api/src/main.ts',
    [],
    { EVENTSTORE_URL: es.match[1], MONGODB_URL: mongo.match[1], PORT: '0', MONGODB_DB: 'bench' },
    /API listening on (\S+)/,
    apiNodeArgs(),
  );
  children.push(api.child);
  const secure = es.match[1].includes('tls=true') && /^mongodb:\/\/[^@/]+@/.test(mongo.match[1]);
  if (secure !== (mode === 'secure'))
    throw new Error(`${mode} stack printed unexpected connection strings`);
  const apiUrl = new URL(api.match[1]);
  console.log(
    `${mode} servers and API up (${es.match[1].replace(/\/\/([^:/@]+):[^@/]+@/, '//$1:***@')}, ${mongo.match[1].replace(/\/\/([^:/@]+):[^@/]+@/, '//$1:***@')}, ${apiUrl.href}); load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  return {
    mode,
    eventStoreUrl: es.match[1],
    mongoUrl: mongo.match[1],
    apiUrl,
    pids: { es: es.child.pid!, mongo: mongo.child.pid!, api: api.child.pid! },
    children: [es.child, mongo.child, api.child],
  };
}

/** e.g. BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where every API process spends its time. */
function apiNodeArgs(): string[] {
  return process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
}

const customers = (n: number) =>
  Array.from({ length: n }, () => `bench-${randomUUID().slice(0, 18)}`);

async function warmUp(stack: Stack): Promise<void> {
  // JIT, connections, caches.
  await drive(
    8,
    makeTouchpoints(400, customers(200)).map((t) => JSON.stringify(t)),
    async (body) => {
      await post(stack.apiUrl, '/v1/touchpoints', body);
    },
  );
}

async function single(
  stack: Stack,
  clients: number,
  count: number,
  pool = customers(5000),
  noteEvery = 10,
  kinds: { visits?: boolean } = {},
): Promise<Row> {
  const bodies = makeTouchpoints(count, pool, noteEvery, kinds).map((t) => JSON.stringify(t));
  const measured = await drive(clients, bodies, async (body) => {
    const response = await post(stack.apiUrl, '/v1/touchpoints', body);
    if (response.status !== 201) throw new Error(`single: ${response.status} ${response.body}`);
  });
  return rowOf('POST /v1/touchpoints', clients, 1, count, measured);
}

async function batch(
  stack: Stack,
  clients: number,
  size: number,
  batches: number,
  pool = customers(20_000),
  noteEvery = 10,
): Promise<Row> {
  const bodies = Array.from({ length: batches }, () =>
    JSON.stringify({ touchpoints: makeTouchpoints(size, pool, noteEvery) }),
  );
  const measured = await drive(clients, bodies, async (body) => {
    const response = await post(stack.apiUrl, '/v1/touchpoints/batch', body);
    if (response.status !== 200)
      throw new Error(`batch: ${response.status} ${response.body.slice(0, 300)}`);
    const { results } = JSON.parse(response.body) as { results: Array<{ status: string }> };
    const created = results.filter((r) => r.status === 'created').length;
    if (created !== size) throw new Error(`batch: only ${created} of ${size} created`);
  });
  return rowOf('POST /v1/touchpoints/batch', clients, size, size * batches, measured);
}

// What the touchpoint id claims cost by themselves: the API claims every touchpoint's event id for its customer in
// MongoDB before appending it, and asks after appending whether another send claimed it too (one round trip each
// per round of concurrent calls; a batch's ids in one). Here the same store the API uses does both for fresh ids
// straight against the same MongoDB, `perCall` ids per call as a batch does.
async function claims(stack: Stack, clients: number, perCall: number, calls: number): Promise<Row> {
  const mongo = await connectMongo(stack.mongoUrl, 'bench_claims');
  const store = new TouchpointIdStore(mongo.db);
  const pool = customers(5000);
  const rounds = Array.from({ length: calls }, (_, i) => String(i));
  try {
    await store.claim([{ eventId: randomUUID(), customerId: pool[0] }]);
    const measured = await drive(clients, rounds, async () => {
      const claimed = Array.from({ length: perCall }, () => ({
        eventId: randomUUID(),
        customerId: pool[Math.floor(Math.random() * pool.length)],
      }));
      await store.claim(claimed);
      // After the append: was another send of these ids under way (only then is the append read back)?
      await store.contested(claimed.map(({ eventId }) => eventId));
    });
    return rowOf('touchpoint id claim + check', clients, perCall, perCall * calls, measured);
  } finally {
    await mongo.close();
  }
}

// Raw: the events the API would write for such batches (a registration for a new customer, then the
// touchpoint; the same data and metadata sizes), one append per customer per batch as the API does,
// straight through the official client with as many appends in flight as the API allows.
// With `confirm`, every append is followed by a read of its first event, as the decider store does after an append
// made only of touchpoints (ids chosen by the caller) to tell it from an idempotent re-send of another process's:
// an upper bound of what those reads cost the event store and its client (appends that register a customer carry
// a made-up id and need none).
async function raw(
  stack: Stack,
  clients: number,
  size: number,
  batches: number,
  confirm = false,
): Promise<Row> {
  const client = EventStoreDBClient.connectionString(stack.eventStoreUrl);
  const pool = customers(20_000);
  const seen = new Set<string>();
  const groupsPerBatch = Array.from({ length: batches }, () => {
    const groups = new Map<string, ReturnType<typeof jsonEvent>[]>();
    for (const t of makeTouchpoints(size, pool)) {
      const id = t.customerId as string;
      const events = groups.get(id) ?? [];
      const metadata = {
        eventId: touchpointEventId('bench-till', t.touchpointId as string),
        occurredAt: t.occurredAt,
        recordedAt: new Date().toISOString(),
        actor: 'ingest:0123456789ab',
        source: 'bench-till',
        correlationId: randomUUID(),
        causationId: null,
        schemaVersion: 1,
      };
      if (!seen.has(id)) {
        seen.add(id);
        events.push(
          jsonEvent({
            type: 'CustomerRegistered',
            data: { customerId: id, origin: 'touchpoint', registeredAt: t.occurredAt },
            metadata: { ...metadata, eventId: randomUUID() },
          }),
        );
      }
      events.push(jsonEvent({ id: metadata.eventId, type: 'PurchaseRecorded', data: t, metadata }));
      groups.set(id, events);
    }
    return [...groups.entries()];
  });
  // The connection (and its TLS handshake) is set up before the clock starts, as the API's is.
  for await (const _ of client.readAll({ maxCount: 1 })) void _;
  const latencies: number[] = [];
  let events = 0;
  const start = process.hrtime.bigint();
  let nextBatch = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let b = nextBatch++; b < batches; b = nextBatch++) {
        const began = process.hrtime.bigint();
        const groups = [...groupsPerBatch[b]];
        await Promise.all(
          Array.from({ length: 64 }, async () => {
            for (let g = groups.shift(); g; g = groups.shift()) {
              const stream = customerStreamId(`raw-${g[0]}`);
              const appended = await client.appendToStream(stream, g[1], {
                expectedRevision: ANY,
              });
              events += g[1].length;
              if (confirm) {
                const first = appended.nextExpectedRevision - BigInt(g[1].length) + 1n;
                for await (const _ of client.readStream(stream, {
                  fromRevision: first,
                  maxCount: 1,
                }))
                  void _;
              }
            }
          }),
        );
        latencies.push(Number(process.hrtime.bigint() - began) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await client.dispose();
  latencies.sort((a, b) => a - b);
  return {
    scenario: confirm ? 'raw appendToStream + read-back' : 'raw appendToStream (ceiling)',
    clients,
    batch: size,
    touchpoints: size * batches,
    touchpointsPerSec: (size * batches) / seconds,
    eventsPerSec: events / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

const n = (count: number) => Math.max(1, Math.round(count * SCALE));

async function stopAll(children: ChildProcess[]): Promise<void> {
  for (const child of [...children].reverse()) await stop(child);
}

// The headline rows against an insecure and a secure stack, alternating.
async function tlsCost(work: string): Promise<Record<string, unknown>> {
  const header = tlsCostHeader({
    rounds: TLS_ROUNDS,
    scale: SCALE,
    quick: TLS_ONLY,
    how: 'Two stacks (event store, MongoDB, API; each server on its own durable temp data dir), one --insecure and one with the defaults (event store TLS + admin user, MongoDB SCRAM-SHA-256 user); each API gets the connection strings its servers printed. Each round runs a workload against both stacks, insecure first in even rounds and secure first in odd ones; figures are medians over the rounds. costPercent = 1 - secure/insecure. cpuUsPerUnit: CPU per touchpoint of this load generator (client), the API and each server.',
  });
  const children: ChildProcess[] = [];
  const comparisons: Comparison[] = [];
  try {
    const stacks = {
      insecure: await startStack(work, 'insecure', children),
      secure: await startStack(work, 'secure', children),
    };
    await warmUp(stacks.insecure);
    await warmUp(stacks.secure);
    const pids = (mode: Mode) => ({ client: process.pid, ...stacks[mode].pids });
    const compare = async (metric: string, run: (stack: Stack) => Promise<Row>) =>
      comparisons.push(
        await compareModes(metric, 'touchpoints/s', TLS_ROUNDS, pids, async (mode) => {
          const row = await run(stacks[mode]);
          return { units: row.touchpoints, seconds: row.touchpoints / row.touchpointsPerSec };
        }),
      );
    await compare('POST /v1/touchpoints/batch, 1 client x 1 000', (s) => batch(s, 1, 1000, n(12)));
    await compare('POST /v1/touchpoints/batch, 32 clients x 100', (s) => batch(s, 32, 100, n(96)));
    await compare('POST /v1/touchpoints, 32 clients', (s) => single(s, 32, n(2000)));
    await compare('raw appendToStream, 1 client x 1 000 (ceiling)', (s) => raw(s, 1, 1000, n(12)));
  } finally {
    await stopAll(children);
  }
  printComparisons('ingest', comparisons);
  return { ...header, loadAverageAtEnd: loadavg(), comparisons };
}

interface ApiFigure {
  rate: number;
  /** CPU µs per touchpoint of this load generator, the API under test and each server. */
  cpu: Record<string, number>;
  /** Share of the machine's CPU that other processes used meanwhile. */
  otherCpuShare: number;
}

const PROCESSES = ['client', 'api', 'eventstore', 'mongo'] as const;

/**
 * The order of the APIs in a round: rotated each round and, for more than two, reversed every other pass, so each
 * goes first as often as the others and follows each of them as often when `rounds` is a multiple of twice their
 * number; two APIs alternate.
 */
function roundOrder<M>(names: readonly M[], round: number): M[] {
  const rotated = names.map((_, i) => names[(i + round) % names.length]);
  const reversed = names.length > 2 && Math.floor(round / names.length) % 2 === 1;
  return reversed ? rotated.reverse() : rotated;
}

const medianOf = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * One workload against several APIs on the same stores, `rounds` times in `roundOrder`; the median rate of each
 * API and the median CPU per touchpoint of each process while it ran, and every round's figures.
 */
async function alternateApis<M extends string>(
  metric: string,
  apis: Record<M, Stack>,
  rounds: number,
  run: (stack: Stack, name: M) => Promise<Row>,
): Promise<{
  medians: Record<M, number>;
  cpuMedians: Record<M, Record<string, number>>;
  rounds: Record<M, ApiFigure[]>;
}> {
  const names = Object.keys(apis) as M[];
  const figures = Object.fromEntries(names.map((name) => [name, []])) as unknown as Record<
    M,
    ApiFigure[]
  >;
  for (let round = 0; round < rounds; round += 1) {
    for (const name of roundOrder(names, round)) {
      const { es, mongo, api } = apis[name].pids;
      const pids = { client: process.pid, api, eventstore: es, mongo };
      const {
        result: row,
        cpuMsByPid,
        otherCpuShare,
      } = await withOtherCpuShare(
        PROCESSES.map((key) => pids[key]),
        () => run(apis[name], name),
      );
      const cpu = Object.fromEntries(
        PROCESSES.map((key, i) => [key, Math.round((cpuMsByPid[i] * 1000) / row.touchpoints)]),
      );
      figures[name].push({
        rate: row.touchpointsPerSec,
        cpu,
        otherCpuShare: Math.round(otherCpuShare * 1000) / 1000,
      });
      console.log(
        `  ${metric} [${name}] round ${round + 1}/${rounds}: ${Math.round(row.touchpointsPerSec)} touchpoints/s, CPU µs per touchpoint ${JSON.stringify(cpu)}, others' CPU ${Math.round(otherCpuShare * 100)} %`,
      );
    }
  }
  const medians = Object.fromEntries(
    names.map((name) => [name, medianOf(figures[name].map((figure) => figure.rate))]),
  ) as Record<M, number>;
  const cpuMedians = Object.fromEntries(
    names.map((name) => [
      name,
      Object.fromEntries(
        PROCESSES.map((key) => [key, medianOf(figures[name].map((figure) => figure.cpu[key]))]),
      ),
    ]),
  ) as Record<M, Record<string, number>>;
  return { medians, cpuMedians, rounds: figures };
}

/** How much lower `value` is than `reference`, in percent with one decimal (negative: higher). */
function percentLess(value: number, reference: number): number {
  return Math.round((1 - value / reference) * 1000) / 10;
}

/**
 * Another API process on a stack's stores, with the connection strings its servers printed: `script` of `root` (a
 * checkout, this one by default) with `database` and `env`. Answers the stack with that API in place of its own.
 */
async function startApiBeside(
  stack: Stack,
  children: ChildProcess[],
  options: { script: string; database: string; env?: NodeJS.ProcessEnv; root?: string },
): Promise<Stack> {
  const api = await startProcess(
    options.script,
    [],
    {
      EVENTSTORE_URL: stack.eventStoreUrl,
      MONGODB_URL: stack.mongoUrl,
      PORT: '0',
      MONGODB_DB: options.database,
      ...options.env,
    },
    /API listening on (\S+)/,
    apiNodeArgs(),
    options.root,
  );
  children.push(api.child);
  return { ...stack, apiUrl: new URL(api.match[1]), pids: { ...stack.pids, api: api.child.pid! } };
}

/** The API without what `leftOut` names (bench/support/baseline-api.main.ts). */
const BASELINE_API = 'bench/support/baseline-api.main.ts';

/** Sends each customer of `pool` one touchpoint with a note, 100 a batch: known, with a key, before timed rounds. */
async function makeKnown(stack: Stack, pool: string[]): Promise<void> {
  const firsts = pool.map((id) => makeTouchpoints(1, [id], 1)[0]);
  for (let at = 0; at < firsts.length; at += 100) {
    const response = await post(
      stack.apiUrl,
      '/v1/touchpoints/batch',
      JSON.stringify({ touchpoints: firsts.slice(at, at + 100) }),
    );
    if (response.status !== 200) throw new Error(`warm-up: ${response.status} ${response.body}`);
  }
}

/**
 * What sealing personal fields and chaining cost on the ingestion routes themselves: one stack, and beside its API
 * (as main.ts composes it) a second API process on the same stores whose decider store is built with the
 * benchmark baseline (bench/support/baseline-api.main.ts: plaintext, unchained). Each API writes to customers of
 * its own, all known before the timed rounds (one touchpoint with a note each: the key exists), as most of a CRM's
 * touchpoints are; rounds alternate which API goes first; medians. costPercent = 1 - sealed/baseline.
 */
async function sealingCost(work: string): Promise<Record<string, unknown>> {
  const children: ChildProcess[] = [];
  const comparisons: Array<Record<string, unknown>> = [];
  const header = {
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg(),
    rounds: SEAL_ROUNDS,
    scale: SCALE,
    how: 'One stack (event store, MongoDB, API as main.ts composes it, servers --insecure) and a second API process on the same stores built by bench/support/baseline-api.main.ts: the same modules with the customer store constructed with benchmarkBaseline { plaintext, unchained } (a constructor option only this bench entry passes). Each API has its own 2 000 customers, each sent one touchpoint with a note before the timed rounds (keys exist: the steady state). Both API processes start with the same node flags (before 2026-11-26 13:54 the baseline lacked READ_MODEL_NODE_FLAGS). Rounds alternate which API goes first; medians over the rounds; costPercent = 1 - sealed/baseline. cpuUsPerTouchpoint: median CPU per touchpoint of this load generator, the API under test and each server; otherCpuShare per round: the share of the machine other processes used.',
  };
  try {
    const stack = await startStack(work, 'insecure', children);
    const stacks: Record<SealMode, Stack> = {
      sealed: stack,
      baseline: await startApiBeside(stack, children, {
        script: BASELINE_API,
        database: 'bench',
        env: { BENCH_API_BASELINE: 'sealing,chaining' },
      }),
    };
    const pools: Record<SealMode, string[]> = {
      sealed: customers(2000),
      baseline: customers(2000),
    };
    for (const mode of SEAL_MODES) {
      await warmUp(stacks[mode]);
      await makeKnown(stacks[mode], pools[mode]);
    }
    const compare = async (metric: string, run: (stack: Stack, pool: string[]) => Promise<Row>) => {
      const { medians, cpuMedians, rounds } = await alternateApis(
        metric,
        stacks,
        SEAL_ROUNDS,
        (stack, mode) => run(stack, pools[mode]),
      );
      const costPercent = percentLess(medians.sealed, medians.baseline);
      comparisons.push({
        metric,
        sealedPerSecond: Math.round(medians.sealed),
        baselinePerSecond: Math.round(medians.baseline),
        costPercent,
        targetPercent: SEAL_TARGET_PERCENT,
        withinTarget: costPercent < SEAL_TARGET_PERCENT,
        cpuUsPerTouchpoint: cpuMedians,
        rounds,
      });
    };
    await compare(
      'POST /v1/touchpoints/batch, 32 clients x 100, one in ten with a note',
      (s, pool) => batch(s, 32, 100, n(96), pool),
    );
    await compare(
      'POST /v1/touchpoints/batch, 32 clients x 100, every one with a note',
      (s, pool) => batch(s, 32, 100, n(96), pool, 1),
    );
    await compare('POST /v1/touchpoints, 32 clients, one in ten with a note', (s, pool) =>
      single(s, 32, n(2000), pool),
    );
  } finally {
    await stopAll(children);
  }
  console.log('\nsealing + chaining on the ingestion routes: sealed API vs baseline API, medians');
  console.table(
    comparisons.map((c) => ({
      metric: c.metric,
      sealed: c.sealedPerSecond,
      baseline: c.baselinePerSecond,
      'cost %': c.costPercent,
      [`< ${SEAL_TARGET_PERCENT} %`]: c.withinTarget ? 'yes' : 'NO',
    })),
  );
  return { ...header, loadAverageAtEnd: loadavg(), comparisons };
}

interface BeforeRoot {
  path: string;
  /** The commit checked out there, as git names it. */
  commit: string;
  /** Whether it is the commit before the hardening with no local changes. */
  asExpected: boolean;
}

/**
 * Checks BENCH_BEFORE_ROOT before anything runs, so that a wrong path fails at once rather than after the other
 * sections, and records which commit it holds: a checkout of another commit is measured but said to be one.
 */
function resolveBeforeRoot(path: string): BeforeRoot {
  for (const needed of [
    'apps/api/src/main.ts',
    'scripts/register-ts.js',
    'node_modules/@nestjs/core',
  ]) {
    if (!existsSync(join(path, needed))) {
      throw new Error(
        `BENCH_BEFORE_ROOT=${path} has no ${needed}: it must be a checkout of ${BEFORE_COMMIT} with node_modules linked in`,
      );
    }
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', path, ...args], { encoding: 'utf8' }).trim();
  const commit = git('rev-parse', 'HEAD');
  const clean = git('status', '--porcelain', '--untracked-files=no') === '';
  const asExpected = commit.startsWith(BEFORE_COMMIT) && clean;
  if (!asExpected) {
    console.warn(
      `BENCH_BEFORE_ROOT holds ${commit}${clean ? '' : ' with local changes'}, not ${BEFORE_COMMIT}: "before" is that`,
    );
  }
  return { path, commit, asExpected };
}

const BEFORE_MODES = ['before', 'now', 'nowWithoutClaims'] as const;
type BeforeMode = (typeof BEFORE_MODES)[number];

/**
 * The ingestion routes before the hardening (issue 10) and now, side by side: the API of a checkout of the commit
 * before it (BENCH_BEFORE_ROOT, with its node_modules), today's API, and today's without the touchpoint id claims
 * (bench/support/baseline-api.main.ts), each with its own database on the same two servers, started with the same
 * node flags; rounds in `roundOrder`; medians. Customers are new (the routes' usual workload: most
 * touchpoints register their customer) or known (each sent one touchpoint with a note beforehand: stream and key
 * exist, as for most of a CRM's touchpoints).
 */
async function beforeHardening(
  work: string,
  beforeRoot: BeforeRoot,
): Promise<Record<string, unknown>> {
  mkdirSync(work, { recursive: true });
  const children: ChildProcess[] = [];
  const comparisons: Array<Record<string, unknown>> = [];
  const header = {
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg(),
    node: process.version,
    cpus: cpus().length,
    rounds: BEFORE_ROUNDS,
    scale: SCALE,
    beforeRoot,
    how: 'Three API processes on the same event store and MongoDB (servers --insecure), each with its own MongoDB database: before = apps/api/src/main.ts of BENCH_BEFORE_ROOT (the commit before the hardening), now = apps/api/src/main.ts of this checkout, nowWithoutClaims = bench/support/baseline-api.main.ts with BENCH_API_BASELINE=claims (the same modules composed through the testing module, the id store overridden: every id first and claimed for the customer sent, no round trip, so neither the claim before an append nor the check after it, nor the read-back that would otherwise confirm an append of caller-chosen ids: neither TOUCHPOINT_ID_REUSED nor exactly-one-201 across processes, as before the hardening). Same node flags for all three. Each round rotates the order, every other pass reversed (roundOrder): with 6 rounds each API goes first twice and follows each other API as often; medians; cpuUsPerTouchpoint: median CPU per touchpoint of each process. changePercent = now / before - 1; claimsCostPercent = 1 - now / nowWithoutClaims. New customers: random ids of a fresh 5 000 (single) or 20 000 (batch) pool per run; known: 500 customers per API sent one touchpoint with a note before the timed rounds.',
  };
  try {
    const stack = await startStack(work, 'insecure', children);
    const apis: Record<BeforeMode, Stack> = {
      before: await startApiBeside(stack, children, {
        script: 'apps/api/src/main.ts',
        database: 'bench_before',
        root: beforeRoot.path,
      }),
      now: stack,
      nowWithoutClaims: await startApiBeside(stack, children, {
        script: BASELINE_API,
        database: 'bench_unclaimed',
        env: { BENCH_API_BASELINE: 'claims' },
      }),
    };
    const known = Object.fromEntries(BEFORE_MODES.map((mode) => [mode, customers(500)])) as Record<
      BeforeMode,
      string[]
    >;
    for (const mode of BEFORE_MODES) {
      await warmUp(apis[mode]);
      await makeKnown(apis[mode], known[mode]);
    }
    const compare = async (
      metric: string,
      run: (stack: Stack, mode: BeforeMode) => Promise<Row>,
    ) => {
      const { medians, cpuMedians, rounds } = await alternateApis(metric, apis, BEFORE_ROUNDS, run);
      comparisons.push({
        metric,
        beforePerSecond: Math.round(medians.before),
        nowPerSecond: Math.round(medians.now),
        nowWithoutClaimsPerSecond: Math.round(medians.nowWithoutClaims),
        changePercent: -percentLess(medians.now, medians.before),
        withoutClaimsChangePercent: -percentLess(medians.nowWithoutClaims, medians.before),
        claimsCostPercent: percentLess(medians.now, medians.nowWithoutClaims),
        cpuUsPerTouchpoint: cpuMedians,
        rounds,
      });
    };
    await compare('POST /v1/touchpoints, 1 client, new customers', (s) => single(s, 1, n(1000)));
    // Purchases without notes: nothing to seal, so a new customer needs no key (as before the hardening).
    await compare('POST /v1/touchpoints, 1 client, new customers, no free text', (s) =>
      single(s, 1, n(1000), customers(5000), 0, { visits: false }),
    );
    await compare('POST /v1/touchpoints, 1 client, known customers', (s, mode) =>
      single(s, 1, n(1000), known[mode]),
    );
    await compare('POST /v1/touchpoints, 32 clients, new customers', (s) => single(s, 32, n(3000)));
    await compare('POST /v1/touchpoints, 32 clients, known customers', (s, mode) =>
      single(s, 32, n(3000), known[mode]),
    );
    await compare('POST /v1/touchpoints/batch, 1 client x 100, new customers', (s) =>
      batch(s, 1, 100, n(60)),
    );
    await compare('POST /v1/touchpoints/batch, 32 clients x 100, new customers', (s) =>
      batch(s, 32, 100, n(96)),
    );
    await compare('POST /v1/touchpoints/batch, 1 client x 1 000, new customers', (s) =>
      batch(s, 1, 1000, n(8)),
    );
  } finally {
    await stopAll(children);
  }
  console.log('\nbefore the hardening and now: medians, touchpoints/s');
  console.table(
    comparisons.map((c) => ({
      metric: c.metric,
      before: c.beforePerSecond,
      now: c.nowPerSecond,
      'change %': c.changePercent,
      'now without claims': c.nowWithoutClaimsPerSecond,
      'its change %': c.withoutClaimsChangePercent,
      'claims cost %': c.claimsCostPercent,
    })),
  );
  return { ...header, loadAverageAtEnd: loadavg(), comparisons };
}

/** A section of the results file as the last run that measured it left it, marked as such. */
function earlierSection(key: string): Record<string, unknown> | undefined {
  if (!existsSync(RESULTS_FILE)) return undefined;
  const earlier = (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Record<string, unknown>)[key];
  if (typeof earlier !== 'object' || earlier === null) return undefined;
  return { ...earlier, notRerun: 'kept from an earlier run: this run did not measure it' };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'crm-bench-ingest-'));
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const children: ChildProcess[] = [];
  try {
    if (SEALING_ONLY) {
      mergeIntoResults(RESULTS_FILE, 'sealingCost', await sealingCost(work));
      console.log('sealingCost merged into bench/results/ingest.json (other figures kept)');
      return;
    }
    const beforeRoot = BEFORE_ROOT ? resolveBeforeRoot(BEFORE_ROOT) : undefined;
    if (BEFORE_ONLY) {
      if (!beforeRoot) throw new Error('BENCH_BEFORE_ONLY=1 needs BENCH_BEFORE_ROOT');
      mergeIntoResults(RESULTS_FILE, 'beforeHardening', await beforeHardening(work, beforeRoot));
      console.log('beforeHardening merged into bench/results/ingest.json (other figures kept)');
      return;
    }
    if (TLS_ONLY) {
      mergeIntoResults(RESULTS_FILE, 'tlsCost', await tlsCost(work));
      console.log('tlsCost merged into bench/results/ingest.json (other figures kept)');
      return;
    }
    const stack = await startStack(work, 'insecure', children);
    const rows: Row[] = [];
    await warmUp(stack);

    // BENCH_ONLY=batch (or single, raw, claims, tls, sealing, before) runs a subset, e.g. while profiling.
    const only = process.env.BENCH_ONLY;
    const wanted = (kind: string) => !only || only.split(',').includes(kind);
    if (wanted('single')) {
      rows.push(await single(stack, 1, n(2000)));
      rows.push(await single(stack, 32, n(8000)));
    }
    if (wanted('batch')) {
      rows.push(await batch(stack, 1, 100, n(100)));
      rows.push(await batch(stack, 32, 100, n(320)));
      rows.push(await batch(stack, 1, 1000, n(12)));
      rows.push(await batch(stack, 32, 1000, n(48)));
    }
    if (wanted('raw')) {
      rows.push(await raw(stack, 1, 1000, n(12)));
      rows.push(await raw(stack, 1, 1000, n(12), true));
      rows.push(await raw(stack, 32, 1000, n(48)));
      rows.push(await raw(stack, 32, 1000, n(48), true));
    }
    if (wanted('claims')) {
      rows.push(await claims(stack, 1, 1, n(2000)));
      rows.push(await claims(stack, 32, 1, n(8000)));
      rows.push(await claims(stack, 1, 1000, n(12)));
      rows.push(await claims(stack, 32, 1000, n(48)));
    }
    await stopAll(children);
    children.length = 0;

    for (const row of rows) {
      const ceiling = rows.find(
        (r) => r.scenario === 'raw appendToStream (ceiling)' && r.clients === row.clients,
      );
      const compared = row.scenario.includes('batch') || row.scenario.includes('read-back');
      if (compared && row.batch === 1000 && ceiling) {
        row.ratioToRaw = row.touchpointsPerSec / ceiling.touchpointsPerSec;
      }
    }
    console.log('servers --insecure (no TLS, no users):');
    console.table(
      rows.map((r) => ({
        scenario: r.scenario,
        clients: r.clients,
        batch: r.batch,
        touchpoints: r.touchpoints,
        'touchpoints/s': Math.round(r.touchpointsPerSec),
        'events/s': r.eventsPerSec ? Math.round(r.eventsPerSec) : '',
        'p50 ms': r.p50Ms.toFixed(2),
        'p99 ms': r.p99Ms.toFixed(2),
        'vs raw': r.ratioToRaw ? r.ratioToRaw.toFixed(2) : '',
      })),
    );
    // Its stacks get a folder of their own: the rows above used work/es-insecure and work/mongo-insecure.
    const tlsWork = join(work, 'tls');
    mkdirSync(tlsWork);
    const tlsCostResult = wanted('tls') || !only ? await tlsCost(tlsWork) : undefined;
    const sealWork = join(work, 'sealing');
    mkdirSync(sealWork);
    const sealingCostResult = wanted('sealing') || !only ? await sealingCost(sealWork) : undefined;
    // Without a checkout to compare with, the last comparison stays in the results file, marked as not rerun.
    const beforeResult =
      (wanted('before') || !only) && beforeRoot
        ? await beforeHardening(join(work, 'before'), beforeRoot)
        : earlierSection('beforeHardening');
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      scale: SCALE,
      serverMode: 'insecure (--insecure: no TLS, no users) for every row outside tlsCost',
      notes: [
        'Every row outside tlsCost runs against servers started --insecure (no TLS, no users), as the rows were measured before the servers had them; tlsCost compares the headline rows against an insecure and a secure stack in alternating rounds.',
        'Embedded EventStoreDB- and MongoDB-compatible servers and the API each in a child process on temp data dirs (durable), load generated from this process; all share the same cores.',
        'Touchpoints go to random customers of a 5 000 (single) or 20 000 (batch) pool, so most batches register new customers too; one touchpoint in ten has a note (encrypted, needs the customer key).',
        'raw = the same kind of events (registration + touchpoint, same data and metadata) appended per customer with appendToStream, 64 appends in flight per client, like the API; vs raw = batch route / raw at the same client count.',
        'raw appendToStream + read-back = the raw row with a read of the first event after every append, the read the decider store makes after an append of touchpoints only to tell it from an idempotent re-send of another process (vs raw: an upper bound of its cost on the raw rate). touchpoint id claim + check = fresh ids claimed, then checked for other sends, through the TouchpointIdStore the API uses, straight against the same MongoDB, 1 or 1 000 ids per call (two round trips, as the API makes per send or per batch).',
      ],
      rows,
      ...(tlsCostResult ? { tlsCost: tlsCostResult } : {}),
      ...(sealingCostResult ? { sealingCost: sealingCostResult } : {}),
      ...(beforeResult ? { beforeHardening: beforeResult } : {}),
    };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
    console.log('written to bench/results/ingest.json');
  } finally {
    await stopAll(children);
    agent.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
