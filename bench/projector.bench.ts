// Read-side benchmark: the projector (every read model of `customerProjections`, as apps/projector runs them)
// catching up on ~1 000 000 stored customer events, beside the ceiling of reading the same events through the
// official client with no projection and a naive projector (one upsert and one checkpoint write per event); then
// the end-to-end lag at a steady append rate, query latencies beside plain finds, and the projector's memory.
// Embedded servers, the projector and (for the HTTP rows) the API each run as a child process on temp data dirs;
// this process only stores events, reads, queries and measures. Prints a table and writes
// bench/results/projector.json. Sizes: BENCH_EVENTS, BENCH_NAIVE_EVENTS, BENCH_LAG_SECONDS, BENCH_LAG_RATES,
// BENCH_LOOKUPS, BENCH_MATRIX_RUNS, BENCH_MATRIX_CUSTOMERS; BENCH_PROJECTOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles it,
// BENCH_MONGO_NODE_ARGS the same for the MongoDB-compatible server (the lag phases print their monotonic µs range).
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AllStreamResolvedEvent,
  EventStoreDBClient,
  NO_STREAM,
  START,
  streamNameFilter,
} from '@eventstore/db-client';
import { type Db, MongoClient } from 'mongodb';
import {
  CUSTOMER_STREAM_PREFIX,
  customerStreamId,
  DEFAULT_POLICY_RULES,
  PERSONAL_FIELDS,
  upcast,
} from '@app/domain';
import { StreamReader } from '@app/event-store';
import {
  customerProjections,
  findProfile,
  migrationMatrix,
  PROFILES_COLLECTION,
  TIMELINES_COLLECTION,
} from '@app/read-models';
import { customerHistory, type CustomerHistory, seededRandom } from './support/customer-history';
import { startProcess, type Started, stop } from './support/processes';
import { rssOf, withCpu } from './support/cpu';
import { writeCeiling as writeCeilingOf } from './support/write-ceiling';

const ROOT = join(__dirname, '..');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const NAIVE_EVENTS = Math.min(EVENTS, Number(process.env.BENCH_NAIVE_EVENTS ?? 50_000));
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 20);
// The target rate first; a lower one shows the floor the batching itself sets.
const LAG_RATES = (process.env.BENCH_LAG_RATES ?? '2000,500').split(',').map(Number);
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 5000);
const MATRIX_RUNS = Number(process.env.BENCH_MATRIX_RUNS ?? 15);
const POLL_MS = 10;
const MATRIX_CUSTOMERS = Number(process.env.BENCH_MATRIX_CUSTOMERS ?? 100_000);
// The servers' --insecure (no TLS, no users) unless BENCH_SECURE=1; every row of a run uses the same connections.
const SECURE = process.env.BENCH_SECURE === '1';
const DATABASE = 'bench';
const PROJECTIONS = customerProjections(DEFAULT_POLICY_RULES).map((p) => p.name);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function latency(samples: number[]): { p50Ms: number; p99Ms: number; samples: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(sorted, 50), 3),
    p99Ms: round(percentile(sorted, 99), 3),
    samples: samples.length,
  };
}
function round(n: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(n * factor) / factor;
}
const now = (): number => performance.now();

/** Histories until `events` events, in a seeded order: the same streams on every run of the same size. */
function* histories(prefix: string, seed: number, events: number): Generator<CustomerHistory> {
  const random = seededRandom(seed);
  let total = 0;
  for (let n = 0; total < events; n += 1) {
    const history = customerHistory(`${prefix}${n}`, random);
    total += history.types.length;
    yield history;
  }
}

/** Each customer's whole history in one append (as a backfill would), 64 appends in flight. */
async function storeHistories(
  client: EventStoreDBClient,
  source: Iterable<CustomerHistory>,
): Promise<{ customers: string[]; events: number; types: Record<string, number> }> {
  const iterator = source[Symbol.iterator]();
  const customers: string[] = [];
  const types: Record<string, number> = {};
  let events = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        const history = next.value;
        customers.push(history.customerId);
        for (const type of history.types) types[type] = (types[type] ?? 0) + 1;
        events += history.types.length;
        await client.appendToStream(customerStreamId(history.customerId), history.appends.flat(), {
          expectedRevision: NO_STREAM,
        });
      }
    }),
  );
  return { customers, events, types };
}

/** The newest customer event's commit position. */
async function headPosition(client: EventStoreDBClient): Promise<bigint> {
  let head = 0n;
  for await (const resolved of client.readAll({
    direction: 'backwards',
    fromPosition: 'end',
    maxCount: 1,
  })) {
    head = resolved.event?.position?.commit ?? head;
  }
  return head;
}

/** The ceiling: the catch-up subscription the projector uses, consumed to `count` events and nothing done. */
async function rawRead(client: EventStoreDBClient, count: number): Promise<{ events: number }> {
  const subscription = client.subscribeToAll({
    fromPosition: START,
    filter: streamNameFilter({ prefixes: [CUSTOMER_STREAM_PREFIX] }),
  });
  let events = 0;
  for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
    if (resolved.event) events += 1;
    if (events >= count) break;
  }
  await subscription.unsubscribe();
  return { events };
}

/** The projector's own reading (StreamReader: upcast, personal fields left sealed), with no projection. */
async function readerRead(client: EventStoreDBClient, count: number): Promise<{ events: number }> {
  const reader = new StreamReader(client, { upcast, personalFields: PERSONAL_FIELDS });
  const subscription = reader.subscribe({ prefix: CUSTOMER_STREAM_PREFIX, open: 'sealed' });
  let events = 0;
  for await (const _event of subscription) {
    events += 1;
    if (events >= count) break;
  }
  await subscription.unsubscribe();
  return { events };
}

/**
 * The naive projector: every event its own durable upsert of the customer's document, then its own durable
 * checkpoint write, one after the other. It keeps counters only (far less than the real read models), so it is
 * a generous baseline.
 */
async function naiveProjector(
  client: EventStoreDBClient,
  db: Db,
  count: number,
): Promise<{ events: number; lastCommit: bigint }> {
  const durable = { writeConcern: { w: 'majority' as const, journal: true } };
  const profiles = db.collection<{ _id: string }>('naive_profiles');
  const checkpoints = db.collection<{ _id: string }>('naive_checkpoints');
  const reader = new StreamReader(client, { upcast, personalFields: PERSONAL_FIELDS });
  const subscription = reader.subscribe({ prefix: CUSTOMER_STREAM_PREFIX, open: 'sealed' });
  let events = 0;
  let lastCommit = -1n;
  for await (const event of subscription) {
    lastCommit = event.position.commit;
    const customerId = event.streamId.slice(CUSTOMER_STREAM_PREFIX.length);
    const position = Number(event.position.commit);
    await profiles.updateOne(
      { _id: customerId },
      {
        $inc: { events: 1, [`byType.${event.type}`]: 1 },
        $max: { position },
        $set: { lastType: event.type, lastAt: event.metadata.occurredAt },
      },
      { upsert: true, ...durable },
    );
    await checkpoints.updateOne(
      { _id: 'naive' },
      {
        $set: {
          commit: event.position.commit.toString(),
          prepare: event.position.prepare.toString(),
        },
      },
      { upsert: true, ...durable },
    );
    events += 1;
    if (events >= count) break;
  }
  await subscription.unsubscribe();
  return { events, lastCommit };
}

/** The lowest commit position the read models have all reached (-1 before each has one). */
async function projectedThrough(db: Db): Promise<bigint> {
  const docs = await db
    .collection<{ _id: string; commit?: string }>('projection_checkpoints')
    .find({ _id: { $in: PROJECTIONS } }, { projection: { commit: 1 } })
    .toArray();
  if (docs.length < PROJECTIONS.length) return -1n;
  return docs.reduce((lowest, doc) => {
    const commit = doc.commit === undefined ? -1n : BigInt(doc.commit);
    return commit < lowest ? commit : lowest;
  }, BigInt(Number.MAX_SAFE_INTEGER));
}

/** Copies every read-model document into scratch collections with plain durable bulk upserts, timed. */

async function untilProjected(
  db: Db,
  head: bigint,
  pollMs = 20,
  onProgress: (through: bigint) => void = () => undefined,
): Promise<void> {
  for (;;) {
    const through = await projectedThrough(db);
    onProgress(through);
    if (through >= head) return;
    await sleep(pollMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Appends new customers' events one command at a time (as the API does) at `rate` events/s, and measures for
 * each append the time from its acknowledgement to every read model's checkpoint reaching it.
 */
async function steadyLag(
  client: EventStoreDBClient,
  db: Db,
  rate: number,
  seconds: number,
): Promise<{
  events: number;
  appends: number;
  achievedRate: number;
  drainedAfterMs: number;
  lags: number[];
}> {
  // Generated before the clock starts, so the deciding does not compete with the projector.
  const source = [...histories(`live${rate}-`, rate, rate * seconds + 1000)][Symbol.iterator]();
  const ready: Array<{ history: CustomerHistory; index: number }> = [];
  const waiting: Array<{ commit: bigint; ackedAt: number }> = [];
  const lags: number[] = [];
  let sent = 0;
  let appends = 0;
  let failure: Error | undefined;
  const started = now();
  const deadline = started + seconds * 1000;
  const append = async (history: CustomerHistory, index: number) => {
    const events = history.appends[index];
    const result = await client.appendToStream(customerStreamId(history.customerId), events, {
      expectedRevision:
        index === 0 ? NO_STREAM : BigInt(history.appends.slice(0, index).flat().length - 1),
    });
    waiting.push({ commit: result.position!.commit, ackedAt: now() });
    if (index + 1 < history.appends.length) ready.push({ history, index: index + 1 });
  };
  let polling = true;
  const poller = (async () => {
    while (polling || waiting.length > 0) {
      const through = await projectedThrough(db);
      const at = now();
      for (let i = waiting.length - 1; i >= 0; i -= 1) {
        if (waiting[i].commit <= through) {
          lags.push(at - waiting[i].ackedAt);
          waiting.splice(i, 1);
        }
      }
      if (!polling && at > deadline + 30_000) break;
      // Every 10 ms (as often as a minPosition wait asks, and then some): polling every 2 ms was 500 finds a
      // second on the store under test, a load of the measurement's own.
      await sleep(POLL_MS);
    }
  })();
  const inFlight = new Set<Promise<void>>();
  while (now() < deadline && !failure) {
    const due = (rate * (now() - started)) / 1000;
    while (sent < due) {
      let next = ready.shift();
      if (!next) {
        const fresh = source.next();
        if (fresh.done) break;
        next = { history: fresh.value, index: 0 };
      }
      sent += next.history.appends[next.index].length;
      appends += 1;
      const pending = append(next.history, next.index).catch((error: unknown) => {
        failure = error instanceof Error ? error : new Error(JSON.stringify(error));
      });
      inFlight.add(pending);
      void pending.finally(() => inFlight.delete(pending));
    }
    await sleep(2);
  }
  const elapsed = (now() - started) / 1000;
  await Promise.all(inFlight);
  polling = false;
  await poller;
  if (failure) throw failure;
  // How long after the last append the read models had everything: 0-ish when they kept up.
  const drainedAfterMs = now() - started - elapsed * 1000;
  return { events: sent, appends, achievedRate: sent / elapsed, drainedAfterMs, lags };
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** A GET is safe to repeat: one retry when a reused connection was closed under it, never a dead bench. */
async function get(url: URL, path: string): Promise<{ status: number; body: string }> {
  try {
    return await getOnce(url, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    return getOnce(url, path);
  }
}

function getOnce(url: URL, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path,
        headers: { Authorization: 'Bearer dev-analyst' },
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
    req.end();
  });
}

async function timed(runs: number, work: (i: number) => Promise<unknown>): Promise<number[]> {
  // A short warm-up (JIT, connections, caches): a fifth of the runs, at most 50.
  for (let i = 0; i < Math.min(50, Math.ceil(runs / 5)); i += 1) await work(i);
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = now();
    await work(i);
    samples.push(now() - t);
  }
  return samples;
}

/** RSS from /proc and the heap after a full collection, from the memory probe preloaded in the process. */
async function memoryOf(started: Started): Promise<{ rss: number; heapUsed: number }> {
  const line = started.waitFor(/^memory /);
  started.child.kill('SIGUSR2');
  const usage = JSON.parse((await line).slice('memory '.length)) as NodeJS.MemoryUsage;
  return { rss: rssOf(started.child.pid!), heapUsed: usage.heapUsed };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'crm-bench-projector-'));
  mkdirSync(join(work, 'es'));
  mkdirSync(join(work, 'mongo'));
  const children: ChildProcess[] = [];
  const insecure = SECURE ? [] : ['--insecure'];
  try {
    const es = await startProcess(
      'libs/embedded-eventstore/src/cli.ts',
      ['--port', '0', '--data', join(work, 'es'), ...insecure],
      {},
      /(esdb:\/\/\S+)/,
    );
    children.push(es.child);
    const mongo = await startProcess(
      'libs/embedded-mongo/src/cli.ts',
      ['--port', '0', '--data', join(work, 'mongo'), ...insecure],
      {},
      /(mongodb:\/\/\S+)/,
      [
        '--max-old-space-size=8192',
        ...(process.env.BENCH_MONGO_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ],
    );
    children.push(mongo.child);
    const esUrl = es.match[1];
    const mongoUrl = mongo.match[1];
    const client = EventStoreDBClient.connectionString(esUrl);
    const mongoClient = await new MongoClient(mongoUrl).connect();
    const db = mongoClient.db(DATABASE);
    const servers = { eventstore: es.child.pid!, mongo: mongo.child.pid! };

    // The stored events: decided per customer by the domain, personal fields sealed, one append per customer.
    let t = now();
    const stored = await storeHistories(client, histories('bench-', 42, EVENTS));
    const head = await headPosition(client);
    const setupSeconds = (now() - t) / 1000;
    console.log(
      `stored ${stored.events} events of ${stored.customers.length} customers in ${setupSeconds.toFixed(1)} s`,
    );

    // (a) the ceiling: reading them with nothing done, then as the projector reads them (upcast, sealed).
    t = now();
    const raw = await withCpu(servers, () => rawRead(client, stored.events));
    const rawSeconds = (now() - t) / 1000;
    t = now();
    const reader = await withCpu(servers, () => readerRead(client, stored.events));
    const readerSeconds = (now() - t) / 1000;
    console.log(
      `raw read ${Math.round(stored.events / rawSeconds)} events/s, StreamReader ${Math.round(stored.events / readerSeconds)} events/s`,
    );

    // (b) the naive projector, on a prefix.
    t = now();
    const naive = await withCpu(servers, () =>
      naiveProjector(client, mongoClient.db(`${DATABASE}_naive`), NAIVE_EVENTS),
    );
    const naiveSeconds = (now() - t) / 1000;
    console.log(`naive ${Math.round(naive.events / naiveSeconds)} events/s`);

    // The real projector as its own process (apps/projector's main, with a memory probe preloaded).
    const projector = await startProcess(
      'apps/projector/src/main.ts',
      [],
      {
        EVENTSTORE_URL: esUrl,
        MONGODB_URL: mongoUrl,
        MONGODB_DB: DATABASE,
      },
      /projector running/,
      [
        '--expose-gc',
        '-r',
        join(ROOT, 'scripts/register-ts.js'),
        '-r',
        join(ROOT, 'bench/support/memory-probe.ts'),
        ...(process.env.BENCH_PROJECTOR_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ],
    );
    children.push(projector.child);
    t = now();
    // When the read models have the naive projector's prefix: the two rates over the same events and store state.
    let prefixSeconds: number | undefined;
    const catchUp = await withCpu({ ...servers, projector: projector.child.pid! }, async () => {
      await untilProjected(db, head, 20, (through) => {
        if (prefixSeconds === undefined && through >= naive.lastCommit)
          prefixSeconds = (now() - t) / 1000;
      });
      return { events: stored.events };
    });
    const catchUpSeconds = (now() - t) / 1000;
    const memory = await memoryOf(projector);
    console.log(
      `projector caught up at ${Math.round(stored.events / catchUpSeconds)} events/s; ` +
        `RSS ${(memory.rss / 2 ** 20).toFixed(0)} MB, heap ${(memory.heapUsed / 2 ** 20).toFixed(0)} MB`,
    );

    // MongoDB's own ceiling for this work: every document the read models ended with, written once (unordered bulk
    // upserts by _id, durable like the projector's) with no reading, folding or guards. The projector writes each
    // document at least once, so it cannot catch up faster than this.
    const writeCeiling = await withCpu(servers, async () => {
      const written = await writeCeilingOf(
        db,
        customerProjections(DEFAULT_POLICY_RULES).flatMap((p) => p.collections),
      );
      return { ...written, events: written.documents };
    });
    console.log(
      `write ceiling: ${writeCeiling.documents} documents in ${round(writeCeiling.seconds, 1)} s = ` +
        `${Math.round(stored.events / writeCeiling.seconds)} events/s`,
    );

    // End-to-end lag at a steady append rate, the projector following live.
    const lags = [];
    for (const target of LAG_RATES) {
      // The monotonic clock (µs) that --cpu-prof profiles stamp their samples with, to cut a profile to this phase.
      const phaseStart = process.hrtime.bigint() / 1000n;
      const lag = await withCpu({ ...servers, projector: projector.child.pid! }, () =>
        steadyLag(client, db, target, LAG_SECONDS),
      );
      console.log(
        `lag phase at ${target}/s: monotonic µs ${phaseStart}..${process.hrtime.bigint() / 1000n}`,
      );
      const { lags: samples, ...rest } = lag;
      lags.push({ targetRate: target, ...rest, ...latency(samples) });
      console.log(
        `lag at ${Math.round(lag.achievedRate)} events/s: p50 ${latency(samples).p50Ms} ms, ` +
          `p99 ${latency(samples).p99Ms} ms, drained ${Math.round(lag.drainedAfterMs)} ms after the last append`,
      );
    }

    // Queries: in this process through the lib, and through the API's routes in a child process.
    const api = await startProcess(
      'apps/api/src/main.ts',
      [],
      {
        EVENTSTORE_URL: esUrl,
        MONGODB_URL: mongoUrl,
        MONGODB_DB: DATABASE,
        PORT: '0',
        CRM_REVIEW_INTERVAL_MINUTES: '0',
      },
      /API listening on (\S+)/,
    );
    children.push(api.child);
    const apiUrl = new URL(api.match[1]);
    const random = seededRandom(99);
    const someone = () => stored.customers[Math.floor(random() * stored.customers.length)];
    const profileQuery = latency(
      await timed(LOOKUPS, async () => {
        if (!(await findProfile(db, someone()))) throw new Error('profile not found');
      }),
    );
    const profileCeiling = latency(await timed(LOOKUPS, () => db.command({ ping: 1 })));
    const profileHttp = latency(
      await timed(Math.min(LOOKUPS, 2000), async () => {
        const response = await get(apiUrl, `/v1/profiles/${someone()}`);
        if (response.status !== 200) throw new Error(`profile route: ${response.status}`);
      }),
    );
    const matrixQuery = {
      dimension: 'tier' as const,
      from: new Date(Date.UTC(2025, 0, 1)),
      to: new Date(Date.UTC(2026, 0, 1)),
      levels: DEFAULT_POLICY_RULES.tiers.levels.map((level) => level.name),
    };
    // The matrix target is stated for 100 000 customers: more customers are stored (and projected) until the
    // tier matrix between the two dates counts at least that many.
    let padded = 0;
    for (let round = 0; ; round += 1) {
      const counted = (await migrationMatrix(db, matrixQuery)).totals.customers;
      if (counted >= MATRIX_CUSTOMERS || round === 5) break;
      const more = await storeHistories(
        client,
        histories(`pad${round}-`, 7 + round, Math.ceil((MATRIX_CUSTOMERS - counted) * 1.2) * 12),
      );
      padded += more.customers.length;
      await untilProjected(db, await headPosition(client));
    }
    if (padded > 0) console.log(`stored ${padded} more customers for the matrix`);
    let matrixCustomers = 0;
    const matrix = latency(
      await timed(MATRIX_RUNS, async () => {
        matrixCustomers = (await migrationMatrix(db, matrixQuery)).totals.customers;
      }),
    );
    // The documents the matrix reads (the tier timelines), fetched with a plain find: what reading them costs at all.
    let matrixDocuments = 0;
    const matrixCeiling = latency(
      await timed(MATRIX_RUNS, async () => {
        const docs = await db
          .collection(TIMELINES_COLLECTION)
          .find({ dimension: 'tier' })
          .toArray();
        matrixDocuments = docs.length;
      }),
    );
    const matrixRoute = async () => {
      const response = await get(
        apiUrl,
        `/v1/analytics/migration?dimension=tier&from=${matrixQuery.from.toISOString()}&to=${matrixQuery.to.toISOString()}`,
      );
      if (response.status !== 200) throw new Error(`migration route: ${response.status}`);
    };
    // The API keeps the timelines it read (TimelineCache): its first matrix reads every bucket, later ones only the
    // buckets written since.
    const firstStarted = now();
    await matrixRoute();
    const matrixHttpFirstMs = round(now() - firstStarted, 1);
    const matrixHttp = latency(await timed(Math.max(3, Math.round(MATRIX_RUNS / 3)), matrixRoute));
    const profiles = await db.collection(PROFILES_COLLECTION).countDocuments();

    const rate = (events: number, seconds: number) => round(events / seconds);
    const catchUpRate = rate(stored.events, catchUpSeconds);
    const rawRate = rate(stored.events, rawSeconds);
    const naiveRate = rate(naive.events, naiveSeconds);
    // The projector over the naive projector's prefix (its rate to that point, from an empty store, as the naive ran).
    const prefixRate = prefixSeconds === undefined ? null : rate(naive.events, prefixSeconds);
    const rows = [
      {
        measurement: 'catch-up: projector (profiles, transitions, interactions)',
        result: `${catchUpRate} events/s`,
        ceiling: `raw read ${rawRate} events/s`,
        ratio: `${round(catchUpRate / rawRate, 2)} of raw, ${round(catchUpRate / naiveRate, 1)}× naive`,
      },
      {
        measurement: `catch-up: MongoDB write ceiling (${writeCeiling.documents} final documents written once)`,
        result: `${rate(stored.events, writeCeiling.seconds)} events/s`,
        ceiling: '',
        ratio: `projector ${round(catchUpRate / rate(stored.events, writeCeiling.seconds), 2)} of it`,
      },
      {
        measurement: 'catch-up: StreamReader, no projection',
        result: `${rate(stored.events, readerSeconds)} events/s`,
        ceiling: `raw read ${rawRate} events/s`,
        ratio: `${round(stored.events / readerSeconds / rawRate, 2)} of raw`,
      },
      {
        measurement: `catch-up: naive (upsert + checkpoint per event, first ${naive.events})`,
        result: `${naiveRate} events/s`,
        ceiling: '',
        ratio: '',
      },
      {
        measurement: `catch-up: projector over the same first ${naive.events} events`,
        result: prefixRate === null ? 'n/a' : `${prefixRate} events/s`,
        ceiling: `naive ${naiveRate} events/s`,
        ratio: prefixRate === null ? '' : `${round(prefixRate / naiveRate, 1)}× naive`,
      },
      ...lags.map((lag) => ({
        measurement: `lag at ${Math.round(lag.achievedRate)} events/s (ack → all checkpoints)`,
        result: `p50 ${lag.p50Ms} / p99 ${lag.p99Ms} ms`,
        ceiling: 'batch window 100 ms',
        ratio: `drained ${Math.round(lag.drainedAfterMs)} ms after the last append`,
      })),
      {
        measurement: 'findProfile',
        result: `p50 ${profileQuery.p50Ms} / p99 ${profileQuery.p99Ms} ms`,
        ceiling: `ping p50 ${profileCeiling.p50Ms} / p99 ${profileCeiling.p99Ms} ms`,
        ratio: '',
      },
      {
        measurement: 'GET /v1/profiles/:id',
        result: `p50 ${profileHttp.p50Ms} / p99 ${profileHttp.p99Ms} ms`,
        ceiling: '',
        ratio: '',
      },
      {
        measurement: `migrationMatrix tier (${matrixCustomers} customers), every bucket read (no cache)`,
        result: `p50 ${matrix.p50Ms} / p99 ${matrix.p99Ms} ms`,
        ceiling: `find ${matrixDocuments} docs p50 ${matrixCeiling.p50Ms} / p99 ${matrixCeiling.p99Ms} ms`,
        ratio: `${round(matrix.p50Ms / matrixCeiling.p50Ms, 2)} of find`,
      },
      {
        measurement:
          'GET /v1/analytics/migration?dimension=tier, first request (every bucket read)',
        result: `${matrixHttpFirstMs} ms`,
        ceiling: '',
        ratio: '',
      },
      {
        measurement: 'GET /v1/analytics/migration?dimension=tier, then (buckets changed since)',
        result: `p50 ${matrixHttp.p50Ms} / p99 ${matrixHttp.p99Ms} ms`,
        ceiling: '',
        ratio: '',
      },
      {
        measurement: `projector memory after catch-up (${stored.customers.length} customers)`,
        result: `RSS ${round(memory.rss / 2 ** 20)} MB, heap ${round(memory.heapUsed / 2 ** 20)} MB`,
        ceiling: '',
        ratio: '',
      },
    ];
    console.table(rows);

    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      secure: SECURE,
      notes: [
        `Embedded EventStoreDB- and MongoDB-compatible servers (${SECURE ? 'TLS and credentials' : '--insecure: no TLS, no users'}), the projector (apps/projector main) and the API each in a child process on temp data dirs (durable); reads, appends and queries from this process; all share the same cores.`,
        'Stored events: customer histories decided by the domain decider (DEFAULT_POLICY_RULES): registration, consents, touchpoints (purchases, visits, inquiries, feedback, complaints), the tier/stage/segment transitions the decider appends, and a final review; metadata envelope as DeciderStore writes it; personal fields (name, email, notes) sealed with a per-customer key. One append per customer.',
        'raw read = catch-up subscription to $all filtered to customer- through the official client, events counted and nothing else; StreamReader = the same subscription opened as the projector opens it (upcast, sealed), nothing projected.',
        'write ceiling = every document the read models ended with, read back and written once into scratch collections (unordered durable bulk upserts by _id of 1 000, no folding, no guards); its events/s = stored events / that time; cpu per unit is per document there.',
        'matrix ceiling = a plain find of the tier timeline buckets the matrix reads.',
        'naive = the same subscription, each event one durable updateOne upsert of a counters document and one durable checkpoint updateOne, sequentially; measured on a prefix of the stored events.',
        'lag = from an append acknowledged to the checkpoint of every read model at or past its position (polled every ~10 ms, so each figure includes up to 10 ms of polling delay), appends of one command each for new customers at the target rate.',
        'cpu.usPerEvent = CPU time each process spent per event over the phase; otherCpuShare = share of both cores other processes used meanwhile.',
      ],
      sizes: {
        events: stored.events,
        customers: stored.customers.length,
        eventTypes: stored.types,
        profiles,
        setupSeconds: round(setupSeconds, 1),
      },
      catchUp: {
        projector: {
          eventsPerSec: catchUpRate,
          seconds: round(catchUpSeconds, 1),
          cpu: catchUp.cpu,
        },
        rawRead: { eventsPerSec: rawRate, seconds: round(rawSeconds, 1), cpu: raw.cpu },
        streamReader: {
          eventsPerSec: rate(stored.events, readerSeconds),
          seconds: round(readerSeconds, 1),
          cpu: reader.cpu,
        },
        naive: {
          eventsPerSec: naiveRate,
          events: naive.events,
          seconds: round(naiveSeconds, 1),
          cpu: naive.cpu,
        },
        ratioToRaw: round(catchUpRate / rawRate, 3),
        ratioToNaive: round(catchUpRate / naiveRate, 1),
        sameEventsAsNaive: {
          events: naive.events,
          projectorEventsPerSec: prefixRate,
          ratioToNaive: prefixRate === null ? null : round(prefixRate / naiveRate, 1),
        },
        writeCeiling: {
          documents: writeCeiling.documents,
          seconds: round(writeCeiling.seconds, 1),
          eventsPerSec: rate(stored.events, writeCeiling.seconds),
          cpu: writeCeiling.cpu,
        },
        ratioToWriteCeiling: round(catchUpRate / rate(stored.events, writeCeiling.seconds), 2),
      },
      lag: lags.map((lag) => ({
        ...lag,
        achievedRate: round(lag.achievedRate),
        drainedAfterMs: round(lag.drainedAfterMs),
      })),
      queries: {
        findProfile: profileQuery,
        pingCeiling: profileCeiling,
        profileRoute: profileHttp,
        migrationMatrix: { ...matrix, customers: matrixCustomers, customersAddedForIt: padded },
        matrixFindCeiling: { ...matrixCeiling, documents: matrixDocuments },
        migrationRoute: { firstMs: matrixHttpFirstMs, ...matrixHttp },
      },
      memory: {
        projectorRssBytes: memory.rss,
        projectorHeapUsedBytes: memory.heapUsed,
        customers: stored.customers.length,
      },
    };
    console.log(JSON.stringify(result.catchUp, null, 2));
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench/results/projector.json'),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    console.log('written to bench/results/projector.json');
    await client.dispose();
    await mongoClient.close();
  } finally {
    for (const child of children.reverse()) await stop(child);
    agent.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
