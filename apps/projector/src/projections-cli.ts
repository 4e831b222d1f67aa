// npm run projections -- <command>
//   rebuild <name>                  a fresh versioned copy from position zero, switched in when caught up
//   verify <name>                   rebuild into a scratch copy and compare with the live read model
//   verify-chain [--customer <id>]  walk the customer streams' hash chains; the first break per stream
//   drop-old <name>                 drop the old copies rebuilds kept
// Exit codes: 0 all good, 1 a difference or a break was found (or the work failed), 2 a usage error.
import 'reflect-metadata';
import { type AppConfig, ConfigError, loadConfig } from '@app/config';
import { CUSTOMER_STREAM_PREFIX, customerStreamId, PERSONAL_FIELDS, upcast } from '@app/domain';
import {
  disposeWithin,
  checkAllChains,
  checkStreamChain,
  connectEventStore,
  type EventStoreDBClient,
  StreamReader,
} from '@app/event-store';
import {
  connectMongo,
  customerProjections,
  type MongoConnection,
  projectionNamed,
  readModelVersions,
  rebuildProjection,
  type RebuildProgress,
  storedEventSource,
  UnknownProjectionError,
  verifyProjection,
} from '@app/read-models';

const USAGE = `usage: npm run projections -- <command>
  rebuild <name>                  build a fresh copy from position zero and switch readers to it
  verify <name>                   rebuild into a scratch copy and compare with the live read model
  verify-chain [--customer <id>]  check the hash chains of all customer streams (or one)
  drop-old <name>                 drop the old copies kept by rebuilds`;

class UsageError extends Error {}

interface Context {
  config: AppConfig;
  client: EventStoreDBClient;
  mongo: MongoConnection;
  reader: StreamReader;
  out: Output;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  if (!config.eventStoreUrl || !config.mongoUrl) {
    throw new ConfigError(['EVENTSTORE_URL and MONGODB_URL must be set']);
  }
  // Names are checked before anything connects, so a typo answers at once.
  const projections = customerProjections(config.rules);
  const named = () => {
    const name = args[0];
    if (!name) throw new UsageError(`${command} needs a read model name`);
    return projectionNamed(projections, name);
  };
  const run: Record<string, (context: Context) => Promise<number>> = {
    rebuild: (context) => rebuild(context, named()),
    verify: (context) => verify(context, named()),
    'drop-old': (context) => dropOld(context, named()),
    'verify-chain': (context) => verifyChain(context, customerOption(args)),
  };
  const work = run[command];
  if (!work) throw new UsageError(`unknown command '${command}'`);
  if (command !== 'verify-chain') named();
  const client = connectEventStore(config.eventStoreUrl);
  const mongo = await connectMongo(config.mongoUrl, config.mongoDb);
  const reader = new StreamReader(client, { upcast, personalFields: PERSONAL_FIELDS });
  try {
    return await work({ config, client, mongo, reader, out: new Output() });
  } finally {
    await Promise.allSettled([disposeWithin(client), mongo.close()]);
  }
}

async function rebuild(context: Context, projection: ReturnType<typeof projectionNamed>) {
  const { mongo, reader, client, out, config } = context;
  const result = await rebuildProjection({
    db: mongo.db,
    projection,
    source: storedEventSource(reader, client, CUSTOMER_STREAM_PREFIX),
    leaseMs: config.projector.leaseMs,
    onProgress: (progress) => out.progress(progressLine(progress), progress.fraction),
  });
  out.done(
    `${result.projection}: version ${result.version} is live (was ${result.previousVersion}); ` +
      `${result.events} events in ${(result.ms / 1000).toFixed(1)} s (${result.eventsPerSecond} events/s)` +
      (result.kept.length > 0 ? `; kept ${result.kept.join(', ')} until drop-old` : ''),
  );
  return 0;
}

async function verify(context: Context, projection: ReturnType<typeof projectionNamed>) {
  const { mongo, reader, client, out } = context;
  const started = Date.now();
  const report = await verifyProjection({
    db: mongo.db,
    projection,
    source: storedEventSource(reader, client, CUSTOMER_STREAM_PREFIX),
    onProgress: (events, position) => {
      const seconds = (Date.now() - started) / 1000;
      out.progress(
        `verify ${projection.name}: ${events} events, at ${position?.commit ?? '-'}, ` +
          `${Math.round(events / Math.max(0.001, seconds))} events/s`,
        null,
      );
    },
  });
  out.done(
    `${report.projection}: ${report.events} events folded up to the live checkpoint ${report.position ?? '(none)'}`,
  );
  for (const c of report.collections) {
    console.log(
      `  ${c.collection}: ${c.compared} compared, ${c.differing} differ, ${c.newer} changed since (left out)`,
    );
  }
  for (const d of report.differences) {
    console.log(
      `  DIFFERENCE ${d.collection} ${d.id} ${d.path || '(whole document)'}: live ${show(d.live)} vs rebuilt ${show(d.rebuilt)}`,
    );
  }
  console.log(report.ok ? 'OK: the live read model follows from the events' : 'FAILED');
  return report.ok ? 0 : 1;
}

async function verifyChain(context: Context, customerId: string | undefined) {
  const { reader, out } = context;
  if (customerId !== undefined) {
    const report = await checkStreamChain(reader, customerStreamId(customerId));
    const { firstBreak } = report;
    console.log(
      `${report.streamId}: ${report.events} events, ${report.chained} chained, ${report.unchained} unchained`,
    );
    if (firstBreak) console.log(breakLine(firstBreak));
    console.log(firstBreak ? 'FAILED' : 'OK');
    return firstBreak ? 1 : 0;
  }
  let breaks = 0;
  const reports = await checkAllChains(
    reader,
    CUSTOMER_STREAM_PREFIX,
    (found) => {
      breaks += 1;
      out.line(breakLine(found));
    },
    (events) => out.progress(`verify-chain: ${events} events`, null),
  );
  const total = reports.reduce(
    (sum, r) => ({
      events: sum.events + r.events,
      chained: sum.chained + r.chained,
      unchained: sum.unchained + r.unchained,
    }),
    { events: 0, chained: 0, unchained: 0 },
  );
  out.done(
    `${reports.length} streams, ${total.events} events: ${total.chained} chained, ` +
      `${total.unchained} unchained (written before chaining), ${breaks} streams broken`,
  );
  console.log(breaks > 0 ? 'FAILED' : 'OK');
  return breaks > 0 ? 1 : 0;
}

async function dropOld(context: Context, projection: ReturnType<typeof projectionNamed>) {
  const dropped = await readModelVersions(context.mongo.db).dropOld(
    projection.name,
    projection.collections,
  );
  console.log(
    dropped.length > 0 ? `dropped ${dropped.join(', ')}` : `${projection.name}: nothing to drop`,
  );
  return 0;
}

function customerOption(args: string[]): string | undefined {
  const index = args.indexOf('--customer');
  if (index < 0) {
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
    return undefined;
  }
  const id = args[index + 1];
  if (!id) throw new UsageError('--customer needs a customer id');
  return id;
}

function breakLine(found: {
  streamId: string;
  revision: number;
  reason: string;
  expected: string;
  found: string | null;
}): string {
  return (
    `BREAK ${found.streamId} at revision ${found.revision} (${found.reason}): ` +
    `expected ${found.expected}, found ${found.found ?? '(no chain)'}`
  );
}

function progressLine(p: RebuildProgress): string {
  const eta = p.etaSeconds === null ? '' : `, ETA ${clock(p.etaSeconds)}`;
  return `rebuild ${p.projection} v${p.version} ${p.phase}: ${p.events} events, ${p.eventsPerSecond} events/s${eta}`;
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * Progress on a terminal: one line redrawn in place with a bar; otherwise (a pipe, a log) a plain line every
 * couple of seconds.
 */
class Output {
  private readonly tty = process.stdout.isTTY === true;
  private lastPlain = 0;
  private drawn = false;

  progress(text: string, fraction: number | null): void {
    if (this.tty) {
      const width = 24;
      const bar =
        fraction === null
          ? ''
          : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '-')}] ${Math.floor(fraction * 100)}% `;
      process.stdout.write(`\r\x1b[2K${bar}${text}`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain < 2000) return;
    this.lastPlain = now;
    console.log(fraction === null ? text : `${Math.floor(fraction * 100)}% ${text}`);
  }

  line(text: string): void {
    this.clear();
    console.log(text);
  }

  done(text: string): void {
    this.line(text);
  }

  private clear(): void {
    if (this.tty && this.drawn) process.stdout.write('\r\x1b[2K');
    this.drawn = false;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof UnknownProjectionError) {
      console.error(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  },
);
