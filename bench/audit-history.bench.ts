// Auditors' reads of one long customer stream: the first history page (latency), the whole history as NDJSON
// (events/s), and as-of now (ms), each beside reading the same stream through the official client with nothing
// else (the ceiling). The embedded servers (TLS and users, as the API runs them by default) and the API run as child
// processes; this process stores the customer through the API, reads and measures. Prints a table and writes
// bench/results/audit-history.json. Sizes: BENCH_AUDIT_EVENTS (default 10 000), BENCH_AUDIT_RUNS, and
// BENCH_AUDIT_RESTARTS (default 3): rounds of two new API processes started after the first one stopped, timing
// the as-of of the customer (from the snapshots kept in MongoDB) as the first request of one, and after an as-of of
// another customer in the other.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BACKWARDS, END, EventStoreDBClient } from '@eventstore/db-client';
import { customerStreamId } from '@app/domain';
import { startProcess, stop } from './support/processes';

const ROOT = join(__dirname, '..');
const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 10_000);
const RUNS = Number(process.env.BENCH_AUDIT_RUNS ?? 10);
const PAGE_RUNS = 200;
const RESTARTS = Number(process.env.BENCH_AUDIT_RESTARTS ?? 3);

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** One HTTP call; the body is drained (and returned when `keep`), timing to the last byte. */
function call(
  url: string,
  options: { method?: string; key: string; body?: object; accept?: string; keep?: boolean },
): Promise<{ status: number; text: string; bytes: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const payload = options.body ? JSON.stringify(options.body) : undefined;
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        agent,
        headers: {
          Authorization: `Bearer ${options.key}`,
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
          ...(options.accept ? { Accept: options.accept } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (options.keep !== false) chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            bytes,
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const eventStore = await startProcess(
    'libs/embedded-eventstore/src/cli.ts',
    ['--port', '0', '--mem'],
    {},
    /(esdb:\/\/\S+)/,
  );
  const mongo = await startProcess(
    'libs/embedded-mongo/src/cli.ts',
    ['--port', '0', '--mem'],
    {},
    /(mongodb:\/\/\S+)/,
  );
  const children = [eventStore.child, mongo.child];
  try {
    const eventStoreUrl = eventStore.match[1];
    const startApi = async () => {
      const started = await startProcess(
        'apps/api/src/main.ts',
        [],
        {
          EVENTSTORE_URL: eventStoreUrl,
          MONGODB_URL: mongo.match[1],
          MONGODB_DB: 'bench_audit',
          PORT: '0',
          CRM_REVIEW_INTERVAL_MINUTES: '0',
        },
        /API listening on (http:\/\/\S+) /,
      );
      children.push(started.child);
      return { child: started.child, base: started.match[1] };
    };
    let api = await startApi();
    const { base } = api;
    const customerId = 'bench-audit-1';

    // One customer, a touchpoint a day over the past years (each with a sealed note), stored through the API.
    const created = await call(`${base}/v1/customers`, {
      method: 'POST',
      key: 'dev-ingest',
      body: {
        customerId,
        name: 'Bench Customer',
        email: 'bench@example.com',
        occurredAt: '2000-01-01T00:00:00Z',
      },
    });
    if (created.status !== 201) throw new Error(`register: ${created.status} ${created.text}`);
    // Another customer, whose as-of warms a new process up before the one measured.
    const otherCustomerId = 'bench-audit-2';
    const other = await call(`${base}/v1/customers`, {
      method: 'POST',
      key: 'dev-ingest',
      body: {
        customerId: otherCustomerId,
        name: 'Other Customer',
        occurredAt: '2000-01-01T00:00:00Z',
      },
    });
    if (other.status !== 201) throw new Error(`register: ${other.status} ${other.text}`);
    const start = Date.parse('2000-01-02T00:00:00Z');
    // Spread over the years up to yesterday, so every business time is in the past.
    const step = Math.floor((Date.now() - 86_400_000 - start) / EVENTS);
    const kinds = ['purchase', 'visit', 'inquiry', 'feedback', 'visit'];
    const client = EventStoreDBClient.connectionString(eventStoreUrl);
    const streamId = customerStreamId(customerId);
    // Policies append transitions too: the stream's own length decides when there are enough.
    const lengthOf = async () => {
      let length = 0;
      for await (const { event } of client.readStream(streamId, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        length = Number(event?.revision ?? -1) + 1;
      }
      return length;
    };
    let streamLength = await lengthOf();
    let sent = 0;
    const loadStarted = performance.now();
    while (streamLength < EVENTS) {
      const batch = Array.from({ length: Math.min(1000, EVENTS - streamLength) }, () => {
        const n = sent++;
        const kind = kinds[n % kinds.length];
        return {
          touchpointId: `tp-${n}`,
          source: 'bench',
          customerId,
          kind,
          occurredAt: new Date(start + n * step).toISOString(),
          channel: 'web',
          direction: 'inbound',
          note: `contact number ${n}`,
          ...(kind === 'purchase' ? { orderId: `o-${n}`, amount: 20 + (n % 50) } : {}),
          ...(kind === 'feedback' ? { score: 1 + (n % 5) } : {}),
        };
      });
      const response = await call(`${base}/v1/touchpoints/batch`, {
        method: 'POST',
        key: 'dev-ingest',
        body: { touchpoints: batch },
      });
      if (response.status !== 200) throw new Error(`batch: ${response.status} ${response.text}`);
      streamLength = await lengthOf();
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    console.log(`stored ${streamLength} events for one customer in ${round(loadSeconds)} s`);

    // Ceiling: the same stream read through the official client, nothing decoded beyond what it does itself.
    const rawMs: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      let count = 0;
      for await (const _ of client.readStream(streamId)) count += 1;
      rawMs.push(performance.now() - started);
      if (count !== streamLength) throw new Error('raw read changed length');
    }

    const page: number[] = [];
    for (let run = 0; run < PAGE_RUNS; run += 1) {
      const response = await call(`${base}/v1/customers/${customerId}/history?limit=100`, {
        key: 'dev-auditor',
      });
      if (response.status !== 200) throw new Error(`page: ${response.status}`);
      page.push(response.ms);
    }

    const ndjsonMs: number[] = [];
    let ndjsonBytes = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const response = await call(`${base}/v1/customers/${customerId}/history`, {
        key: 'dev-auditor',
        accept: 'application/x-ndjson',
      });
      const lines = response.text.trimEnd().split('\n').length;
      if (response.status !== 200 || lines !== streamLength) {
        throw new Error(`ndjson: ${response.status}, ${lines} of ${streamLength} lines`);
      }
      ndjsonMs.push(response.ms);
      ndjsonBytes = response.bytes;
    }

    const asOfNow = async (apiBase: string, keep: boolean, id = customerId) => {
      const at = new Date().toISOString();
      const response = await call(`${apiBase}/v1/customers/${id}/as-of?at=${at}`, {
        key: 'dev-auditor',
        keep,
      });
      if (response.status !== 200) throw new Error(`as-of: ${response.status} ${response.text}`);
      return response.ms;
    };
    const asOfMs: number[] = [];
    for (let run = 0; run < RUNS * 3; run += 1) asOfMs.push(await asOfNow(base, run === 0));
    await client.dispose();

    // A new process (a restart, another replica) knows nothing of the customer but what MongoDB holds: the first
    // process wrote its snapshots behind its answers, and writes what is still queued when it stops.
    const newProcessMs: number[] = [];
    const newProcessWarmedMs: number[] = [];
    const restart = async () => {
      await stop(api.child);
      api = await startApi();
    };
    for (let run = 0; run < RESTARTS; run += 1) {
      // The process's very first request: connections to both stores and every code path still cold.
      await restart();
      newProcessMs.push(await asOfNow(api.base, false));
      // After one as-of of another customer, as in a replica that is already serving requests.
      await restart();
      await asOfNow(api.base, false, otherCustomerId);
      newProcessWarmedMs.push(await asOfNow(api.base, false));
    }

    const rawP50 = percentile(rawMs, 50);
    const ndjsonP50 = percentile(ndjsonMs, 50);
    const results = {
      machine: {
        cpus: cpus().length,
        node: process.version,
        loadAverage: loadavg().map((l) => round(l, 2)),
      },
      servers: 'embedded, TLS and users (the default), child processes; API a child process',
      streamEvents: streamLength,
      rawReadStream: {
        p50Ms: round(rawP50),
        eventsPerSecond: Math.round((streamLength / rawP50) * 1000),
      },
      historyFirstPage: {
        limit: 100,
        runs: PAGE_RUNS,
        p50Ms: round(percentile(page, 50)),
        p99Ms: round(percentile(page, 99)),
      },
      historyNdjson: {
        runs: RUNS,
        p50Ms: round(ndjsonP50),
        eventsPerSecond: Math.round((streamLength / ndjsonP50) * 1000),
        megabytes: round(ndjsonBytes / 1_048_576, 2),
        shareOfRawRate: round(rawP50 / ndjsonP50, 2),
      },
      asOfNow: {
        runs: RUNS * 3,
        // The first query folds the whole stream; the API keeps that fold (AsOfSnapshots), so the later ones
        // read only what was appended since.
        firstMs: round(asOfMs[0]),
        p50Ms: round(percentile(asOfMs.slice(1), 50)),
        p99Ms: round(percentile(asOfMs.slice(1), 99)),
        targetMs: 200,
        rawReadP50Ms: round(rawP50),
      },
      asOfNewProcess: {
        // The first as-of of the customer in each new API process, from the snapshots kept in MongoDB.
        restarts: RESTARTS,
        firstRequestMs: newProcessMs.map((ms) => round(ms)),
        p50Ms: RESTARTS > 0 ? round(percentile(newProcessMs, 50)) : null,
        // The same after the process answered one as-of of another customer.
        afterAnotherAsOfMs: newProcessWarmedMs.map((ms) => round(ms)),
        afterAnotherAsOfP50Ms: RESTARTS > 0 ? round(percentile(newProcessWarmedMs, 50)) : null,
        targetMs: 200,
      },
    };
    console.table({
      'raw readStream (client)': {
        ms: results.rawReadStream.p50Ms,
        'events/s': results.rawReadStream.eventsPerSecond,
      },
      'history first page p50': { ms: results.historyFirstPage.p50Ms, 'events/s': '' },
      'history first page p99': { ms: results.historyFirstPage.p99Ms, 'events/s': '' },
      'history NDJSON (whole)': {
        ms: results.historyNdjson.p50Ms,
        'events/s': results.historyNdjson.eventsPerSecond,
      },
      'as-of now, first (whole stream folded)': { ms: results.asOfNow.firstMs, 'events/s': '' },
      'as-of now p50': { ms: results.asOfNow.p50Ms, 'events/s': '' },
      'as-of now p99': { ms: results.asOfNow.p99Ms, 'events/s': '' },
      'as-of now, new process, its first request (persisted snapshots), p50': {
        ms: results.asOfNewProcess.p50Ms,
        'events/s': '',
      },
      'as-of now, new process, after one as-of of another customer, p50': {
        ms: results.asOfNewProcess.afterAnotherAsOfP50Ms,
        'events/s': '',
      },
    });
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(
      join(ROOT, 'bench/results/audit-history.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    console.log('wrote bench/results/audit-history.json');
  } finally {
    agent.destroy();
    for (const child of children.reverse()) await stop(child);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
