import { parseArgs } from 'node:util';
import { start, type StartOptions } from './embedded-eventstore.server';
import { type EventStoreOptions } from './store/event-store';

// start() hands its options on to EventStore.open, the store's tuning included.
type CliOptions = StartOptions & Pick<EventStoreOptions, 'chunkSize' | 'cacheSize'>;

const USAGE =
  'usage: embedded-eventstore (--data DIR | --mem) [--port P (0 = any free port, default 2113)] ' +
  '[--host H] [--max-append-size BYTES] [--chunk-size BYTES] [--cache-size BYTES] [--repair] [--insecure]\n' +
  '  --chunk-size: log chunk files roll over at this size (default 256 MiB)\n' +
  '  --cache-size: bound of the cache of events read back from the log (default 64 MiB)\n' +
  '  --insecure: no TLS and no users (benchmarks only)\n' +
  '  --repair: set a damaged log aside, keep every frame that still verifies, write a report';

function parseOptions(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      mem: { type: 'boolean' },
      host: { type: 'string' },
      'max-append-size': { type: 'string' },
      'chunk-size': { type: 'string' },
      'cache-size': { type: 'string' },
      repair: { type: 'boolean' },
      insecure: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.mem && values.data !== undefined)
    throw new Error('--mem and --data exclude each other');
  if (!values.mem && values.data === undefined)
    throw new Error('one of --data DIR or --mem is required');
  if (values.data === '') throw new Error('--data needs a directory');
  return {
    mem: values.mem ?? false,
    dataDir: values.data,
    repair: values.repair ?? false,
    insecure: values.insecure ?? false,
    host: values.host,
    port: values.port === undefined ? 2113 : integerOption('--port', values.port, 0, 65535),
    maxAppendSize:
      values['max-append-size'] === undefined
        ? undefined
        : integerOption('--max-append-size', values['max-append-size'], 1, 2 ** 31),
    chunkSize:
      values['chunk-size'] === undefined
        ? undefined
        : integerOption('--chunk-size', values['chunk-size'], 4096, 2 ** 40),
    cacheSize:
      values['cache-size'] === undefined
        ? undefined
        : integerOption('--cache-size', values['cache-size'], 0, 2 ** 40),
  };
}

function integerOption(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text))
    throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max)
    throw new Error(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`embedded-eventstore: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  let server: Awaited<ReturnType<typeof start>>;
  try {
    server = await start(options);
  } catch (error) {
    process.stderr.write(`embedded-eventstore: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(
          `embedded-eventstore: shutdown after ${signal} failed: ${String(error)}\n`,
        );
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.stdout.write(`${server.connectionString}\n`);
}

void main();
