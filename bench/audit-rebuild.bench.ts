// Audit benchmark, rebuild and ingestion cost:
// (1) the cost of encryption plus chaining on ingestion: the same touchpoints through DeciderStore (the API's
//     write path, keys in MongoDB) with both on and with both off (the constructor-only benchmark baseline),
//     rounds interleaved in the same run;
// (2) a full rebuild of the profiles read model over BENCH_EVENTS (1 000 000) stored customer events, with the live
//     projector (apps/projector main, its own process) running and following a trickle of new appends.
// Embedded servers and the projector run as child processes on temp data dirs (durable); this process ingests,
// stores and rebuilds. Prints a summary and writes bench/results/audit-rebuild.json.
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDBClient, jsonEvent, NO_STREAM } from '@eventstore/db-client';
import { MongoClient } from 'mongodb';
import {
  carriesPersonalData,
  createCustomerDecider,
  CUSTOMER_STREAM_PREFIX,
  type CustomerCommand,
  type CustomerEventType,
  type CustomerState,
  customerStreamId,
  DEFAULT_POLICY_RULES,
  eventOccurredAt,
  PERSONAL_FIELDS,
  SCHEMA_VERSION,
  upcast,
} from '@app/domain';
import {
  chainGenesis,
  chainHash,
  DeciderStore,
  type DeciderStoreOptions,
  sealPersonalFields,
  StreamReader,
} from '@app/event-store';
import {
  customerProjections,
  MongoCustomerKeyStore,
  projectionNamed,
  rebuildProjection,
  storedEventSource,
} from '@app/read-models';
import { withCpu } from './support/cpu';
import { writeCeiling as writeCeilingOf } from './support/write-ceiling';
import { startProcess, stop } from './support/processes';

const ROOT = join(__dirname, '..');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const INGEST = Number(process.env.BENCH_INGEST ?? 8000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 32;
const TRICKLE_PER_SECOND = 200;
const DATABASE = 'bench';

const decider = createCustomerDecider(DEFAULT_POLICY_RULES);
const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);

function touchpoint(customerId: string, n: number, at: number): CustomerCommand {
  const common = {
    type: 'RecordTouchpoint' as const,
    customerId,
    touchpointId: `${customerId}-t${n}`,
    source: 'bench-till',
    occurredAt: new Date(at).toISOString(),
    channel: n % 3 === 0 ? ('web' as const) : ('store' as const),
    direction: 'inbound' as const,
    department: 'sales',
    region: 'north',
    note: 'Asked about delivery times for the new range',
    now: new Date(at).toISOString(),
  };
  return n % 2 === 0
    ? { ...common, kind: 'purchase', orderId: `${customerId}-o${n}`, amount: 40 + (n % 7) * 30 }
    : { ...common, kind: 'visit' };
}

/** One customer's stream as the API would have appended it: decided, sealed, enveloped and chained. */
function customerEvents(customerId: string, count: number) {
  const key = randomBytes(32);
  const streamId = customerStreamId(customerId);
  let state: CustomerState = decider.initialState;
  let chain = chainGenesis(streamId);
  const events = [];
  let at = START + (customerId.length % 50) * DAY;
  const commands: CustomerCommand[] = [
    {
      type: 'RegisterCustomer',
      customerId,
      name: `Customer ${customerId}`,
      email: `${customerId}@example.com`,
      region: 'north',
      occurredAt: new Date(at).toISOString(),
      now: new Date(at).toISOString(),
    },
  ];
  for (let n = 0; events.length + commands.length < count + 1 && n < count; n += 1) {
    at += Math.floor(DAY / 2);
    commands.push(touchpoint(customerId, n, at));
  }
  for (const command of commands) {
    for (const event of decider.decide(command, state)) {
      state = decider.evolve(state, event);
      const eventId = randomUUID();
      const data = sealPersonalFields(
        event.data as Record<string, unknown>,
        PERSONAL_FIELDS[event.type],
        key,
        customerId,
      );
      const metadata: Record<string, unknown> = {
        eventId,
        occurredAt: eventOccurredAt(event),
        recordedAt: new Date().toISOString(),
        actor: 'bench',
        source: 'bench-till',
        correlationId: eventId,
        causationId: null,
        schemaVersion: SCHEMA_VERSION[event.type] ?? 1,
      };
      chain = chainHash(chain, { eventId, type: event.type, data, metadata });
      events.push(
        jsonEvent({ id: eventId, type: event.type, data, metadata: { ...metadata, chain } }),
      );
      if (events.length >= count) return events;
    }
  }
  return events;
}

async function storeEvents(client: EventStoreDBClient, total: number, perCustomer: number) {
  let stored = 0;
  let customer = 0;
  const worker = async () => {
    while (stored < total) {
      const id = `rb-${customer++}`;
      const events = customerEvents(id, Math.min(perCustomer, total - stored));
      stored += events.length;
      await client.appendToStream(customerStreamId(id), events, { expectedRevision: NO_STREAM });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { stored, customers: customer };
}

/**
 * `count` touchpoints through DeciderStore, `CONCURRENCY` in flight, over `count / 8` customers: first one each
 * (customers first seen: a key is created), then the timed ones for customers the store knows (the steady state).
 * Answers both rates.
 */
async function ingest(
  client: EventStoreDBClient,
  keys: MongoCustomerKeyStore,
  options: DeciderStoreOptions,
  prefix: string,
  count: number,
  servers: Record<string, number>,
): Promise<{ firstContact: number; steady: number; steadyCpuUs: Record<string, number> }> {
  const store = new DeciderStore(
    client,
    {
      ...decider,
      streamId: customerStreamId,
      personalFields: PERSONAL_FIELDS,
      carriesPersonalData,
      schemaVersion: (type) => SCHEMA_VERSION[type as CustomerEventType] ?? 1,
      upcast,
      occurredAt: (event) => eventOccurredAt(event),
    },
    keys,
    options,
  );
  const customers = Math.max(1, Math.floor(count / 8));
  const run = async (from: number, to: number) => {
    let next = from;
    const started = performance.now();
    const worker = async () => {
      for (let i = next++; i < to; i = next++) {
        const customerId = `${prefix}-${i % customers}`;
        const command = touchpoint(customerId, i, START + i * 60_000);
        await store.execute(customerId, {
          command,
          context: { actor: 'bench', source: 'bench-till', correlationId: randomUUID() },
          now: new Date(START + i * 60_000).toISOString(),
        });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return (to - from) / ((performance.now() - started) / 1000);
  };
  const firstContact = await run(0, customers);
  // CPU per touchpoint of each process in the steady phase: says which one the extra work lands on.
  const phaseStart = process.hrtime.bigint() / 1000n;
  const { steady, cpu } = await withCpu(servers, async () => ({
    events: count,
    steady: await run(customers, customers + count),
  }));
  // The monotonic clock (µs) that --cpu-prof stamps samples with: cut a profile to the steady phase of each store.
  console.log(
    `  steady phase of ${prefix}: monotonic µs ${phaseStart}..${process.hrtime.bigint() / 1000n}`,
  );
  const steadyCpuUs = cpu.usPerEvent;
  return { firstContact, steady, steadyCpuUs };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'crm-bench-audit-'));
  mkdirSync(join(work, 'es'));
  mkdirSync(join(work, 'mongo'));
  const children: ChildProcess[] = [];
  try {
    const es = await startProcess(
      'libs/embedded-eventstore/src/cli.ts',
      ['--port', '0', '--data', join(work, 'es'), '--insecure'],
      {},
      /(esdb:\/\/\S+)/,
    );
    children.push(es.child);
    const mongoServer = await startProcess(
      'libs/embedded-mongo/src/cli.ts',
      ['--port', '0', '--data', join(work, 'mongo'), '--insecure'],
      {},
      /(mongodb:\/\/\S+)/,
      // e.g. BENCH_MONGO_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to see where MongoDB spends its time
      ['--max-old-space-size=8192', ...(process.env.BENCH_MONGO_NODE_ARGS?.split(' ') ?? [])],
    );
    children.push(mongoServer.child);
    const esUrl = es.match[1];
    const mongoUrl = mongoServer.match[1];
    const client = EventStoreDBClient.connectionString(esUrl);
    const mongo = await new MongoClient(mongoUrl).connect();
    const db = mongo.db(DATABASE);

    // (1) Ingestion with and without sealing and chaining, interleaved rounds.
    const keys = new MongoCustomerKeyStore(mongo.db(`${DATABASE}_keys`));
    const withIntegrity: number[] = [];
    const baseline: number[] = [];
    const firstWith: number[] = [];
    const firstBaseline: number[] = [];
    const servers = { eventstore: es.child.pid!, mongo: mongoServer.child.pid! };
    const sealedCpu: Array<Record<string, number>> = [];
    const baselineCpu: Array<Record<string, number>> = [];
    await ingest(client, keys, {}, 'warm', Math.min(INGEST, 2000), servers);
    for (let round = 0; round < ROUNDS; round += 1) {
      const sealed = await ingest(client, keys, {}, `full${round}`, INGEST, servers);
      const plainRound = await ingest(
        client,
        keys,
        { benchmarkBaseline: { plaintext: true, unchained: true } },
        `base${round}`,
        INGEST,
        servers,
      );
      sealedCpu.push(sealed.steadyCpuUs);
      baselineCpu.push(plainRound.steadyCpuUs);
      withIntegrity.push(sealed.steady);
      baseline.push(plainRound.steady);
      firstWith.push(sealed.firstContact);
      firstBaseline.push(plainRound.firstContact);
      console.log(
        `ingestion round ${round + 1}: ${Math.round(withIntegrity[round])} touchpoints/s sealed and chained, ` +
          `${Math.round(baseline[round])} without; CPU µs per touchpoint ${JSON.stringify(sealed.steadyCpuUs)} ` +
          `vs ${JSON.stringify(plainRound.steadyCpuUs)}`,
      );
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const full = median(withIntegrity);
    const plain = median(baseline);
    const cost = (1 - full / plain) * 100;
    const firstCost = (1 - median(firstWith) / median(firstBaseline)) * 100;
    console.log(
      `encryption + chaining cost: ${cost.toFixed(1)} % of ingestion throughput ` +
        `(customers first seen, a key created each: ${firstCost.toFixed(1)} %)`,
    );

    // (2) The stored history, the live projector following it, then a rebuild beside it.
    let t = performance.now();
    const stored = await storeEvents(client, EVENTS, 20);
    const storeSeconds = (performance.now() - t) / 1000;
    console.log(
      `stored ${stored.stored} events of ${stored.customers} customers in ${storeSeconds.toFixed(1)} s`,
    );
    t = performance.now();
    const projector = await startProcess(
      'apps/projector/src/main.ts',
      [],
      {
        EVENTSTORE_URL: esUrl,
        MONGODB_URL: mongoUrl,
        MONGODB_DB: DATABASE,
        PROJECTOR_BATCH_SIZE: '2000',
      },
      /projector running/,
      ['--max-old-space-size=4096'],
    );
    children.push(projector.child);
    const checkpoints = db.collection<{ _id: string; eventsProjected?: number }>(
      'projection_checkpoints',
    );
    for (;;) {
      const docs = await checkpoints
        .find({ _id: { $in: ['profiles', 'transitions', 'interactions'] } })
        .toArray();
      if (docs.length === 3 && docs.every((d) => (d.eventsProjected ?? 0) >= stored.stored)) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const liveCatchUpSeconds = (performance.now() - t) / 1000;
    console.log(`live projector caught up in ${liveCatchUpSeconds.toFixed(1)} s`);

    // A trickle of new touchpoints keeps the live projector working while the rebuild runs.
    let trickling = true;
    let trickled = 0;
    const trickle = (async () => {
      const trickleStore = new DeciderStore(
        client,
        {
          ...decider,
          streamId: customerStreamId,
          personalFields: PERSONAL_FIELDS,
          carriesPersonalData,
          schemaVersion: (type) => SCHEMA_VERSION[type as CustomerEventType] ?? 1,
          upcast,
          occurredAt: (event) => eventOccurredAt(event),
        },
        keys,
      );
      while (trickling) {
        const i = trickled++;
        // Customers of their own: the stored histories were sealed with keys this key store never held.
        const customerId = `trickle-${i % 500}`;
        await trickleStore.execute(customerId, {
          command: touchpoint(customerId, 10_000 + i, Date.UTC(2026, 0, 1) + i * 1000),
          context: { actor: 'bench', source: 'bench-till', correlationId: randomUUID() },
          now: new Date().toISOString(),
        });
        await new Promise((resolve) => setTimeout(resolve, 1000 / TRICKLE_PER_SECOND));
      }
    })();
    // Awaited after the rebuild; marked handled now so a failing append does not end the process before then.
    trickle.catch(() => undefined);
    const reader = new StreamReader(client, { upcast, personalFields: PERSONAL_FIELDS });
    const projection = projectionNamed(customerProjections(DEFAULT_POLICY_RULES), 'profiles');
    let lastLog = 0;
    // The monotonic clock (µs) that --cpu-prof profiles stamp their samples with, to cut a profile to the rebuild.
    const rebuildStart = process.hrtime.bigint() / 1000n;
    // CPU per event of every process while the rebuild runs (the live projector and the trickle included).
    const everyProcess = { ...servers, projector: projector.child.pid! };
    const { cpu: rebuildCpu, ...result } = await withCpu(everyProcess, async () => {
      const rebuilt = await rebuildProjection({
        db,
        projection,
        source: storedEventSource(reader, client, CUSTOMER_STREAM_PREFIX),
        onProgress: (p) => {
          if (Date.now() - lastLog < 5000 && p.phase === 'building') return;
          lastLog = Date.now();
          console.log(`  rebuild ${p.phase}: ${p.events} events, ${p.eventsPerSecond} events/s`);
        },
      });
      return { ...rebuilt, events: rebuilt.events };
    });
    trickling = false;
    console.log(`rebuild: monotonic µs ${rebuildStart}..${process.hrtime.bigint() / 1000n}`);
    await trickle;
    console.log(
      `rebuild of profiles, from zero to caught up: ${result.build.events} events at ${result.build.eventsPerSecond} events/s; ` +
        `switch ${(result.switchMs / 1000).toFixed(1)} s (lease handover included)`,
    );
    console.log(
      `rebuild of profiles: ${result.events} events in ${(result.ms / 1000).toFixed(1)} s = ${result.eventsPerSecond} events/s ` +
        `(live projector running, ${trickled} touchpoints appended meanwhile)`,
    );

    // Ceilings in the same run: the rebuild's own reading with no projection, and MongoDB taking the rebuilt
    // profiles once (durable unordered bulk upserts of 1 000, no reading, folding or guards).
    const t0 = performance.now();
    const { events: readEvents, cpu: readCpu } = await withCpu(everyProcess, async () => {
      let events = 0;
      for await (const _event of reader.readAll({
        prefix: CUSTOMER_STREAM_PREFIX,
        open: 'sealed',
      })) {
        events += 1;
      }
      return { events };
    });
    const readCeiling = readEvents / ((performance.now() - t0) / 1000);
    // Two cores can read at most 2 s of CPU per second: the CPU the bare read takes per event (client and event store)
    // bounds any rebuild, before it folds or writes anything.
    const cpuSum = (cpu: Record<string, number>) =>
      Object.values(cpu).reduce((sum, us) => sum + us, 0);
    const twoCoreReadCeiling = (cpus().length * 1e6) / cpuSum(readCpu.usPerEvent);
    console.log(
      `CPU µs per event: bare read ${JSON.stringify(readCpu.usPerEvent)} (all cores can read at most ` +
        `${Math.round(twoCoreReadCeiling)} events/s); rebuild ${JSON.stringify(rebuildCpu.usPerEvent)}, ` +
        `other processes ${(rebuildCpu.otherCpuShare * 100).toFixed(0)} % of the machine meanwhile`,
    );
    const profilesWritten = await writeCeilingOf(db, ['profiles']);
    const writeSeconds = profilesWritten.seconds;
    const writeCeiling = result.build.events / writeSeconds;
    console.log(
      `ceilings: reading the customer events with no projection ${Math.round(readCeiling)} events/s; ` +
        `writing the ${profilesWritten.documents} rebuilt profiles once ${writeSeconds.toFixed(1)} s ` +
        `(= ${Math.round(writeCeiling)} events/s); rebuild ${(result.build.eventsPerSecond / Math.min(readCeiling, writeCeiling)).toFixed(2)} of the lower`,
    );

    const results = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAverageAtStart: loadavg(),
      notes: [
        'Embedded EventStoreDB- and MongoDB-compatible servers (--insecure: no TLS, no users) and the live projector (apps/projector main) each in a child process on temp data dirs (durable); ingestion, storing and the rebuild run in this process; all share the same cores.',
        'Ingestion: touchpoints (every one with a free-text note, a personal field) through DeciderStore.execute, 32 in flight, 8 per customer, keys in MongoDB; "sealed and chained" is the production store, "baseline" the same store constructed with benchmarkBaseline { plaintext, unchained }. The headline is the steady state (customers the store has seen); firstContact is the first touchpoint of each customer, where sealing also creates and durably stores the customer key. Rounds interleaved; medians reported.',
        "Rebuild: rebuildProjection of profiles from position zero into profiles__v2 (the projector's own projection code), catch-up, lease handover and renameCollection switch, while the live projector (caught up beforehand) follows a trickle of appends.",
      ],
      ingestion: {
        touchpointsPerRound: INGEST,
        rounds: ROUNDS,
        sealedAndChainedPerSecond: withIntegrity.map(Math.round),
        baselinePerSecond: baseline.map(Math.round),
        medianSealedAndChained: Math.round(full),
        medianBaseline: Math.round(plain),
        costPercent: Math.round(cost * 10) / 10,
        steadyCpuUsPerTouchpoint: { sealedAndChained: sealedCpu, baseline: baselineCpu },
        firstContact: {
          sealedAndChainedPerSecond: Math.round(median(firstWith)),
          baselinePerSecond: Math.round(median(firstBaseline)),
          costPercent: Math.round(firstCost * 10) / 10,
        },
        targetPercent: 20,
      },
      rebuild: {
        projection: 'profiles',
        storedEvents: stored.stored,
        customers: stored.customers,
        storeSeconds: Math.round(storeSeconds * 10) / 10,
        liveProjectorCatchUpSeconds: Math.round(liveCatchUpSeconds * 10) / 10,
        eventsRebuilt: result.events,
        seconds: Math.round(result.ms / 100) / 10,
        eventsPerSecond: result.eventsPerSecond,
        build: result.build,
        switchSeconds: Math.round(result.switchMs / 100) / 10,
        appendedDuringRebuild: trickled,
        ceilings: {
          readEventsPerSecond: Math.round(readCeiling),
          readCpuUsPerEvent: readCpu.usPerEvent,
          allCoresReadEventsPerSecond: Math.round(twoCoreReadCeiling),
          rebuildCpuUsPerEvent: rebuildCpu.usPerEvent,
          otherCpuShareDuringRebuild: rebuildCpu.otherCpuShare,
          eventsRead: readEvents,
          profilesWritten: profilesWritten.documents,
          writeSeconds: Math.round(writeSeconds * 10) / 10,
          writeEventsPerSecond: Math.round(writeCeiling),
          buildRatioToLower:
            Math.round((result.build.eventsPerSecond / Math.min(readCeiling, writeCeiling)) * 100) /
            100,
        },
        targetEventsPerSecond: 20_000,
      },
    };
    writeFileSync(
      join(ROOT, 'bench/results/audit-rebuild.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    console.log('wrote bench/results/audit-rebuild.json');
    await client.dispose();
    await mongo.close();
  } finally {
    for (const child of children.reverse()) await stop(child);
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
