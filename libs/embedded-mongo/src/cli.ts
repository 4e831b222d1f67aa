import { parseArgs } from 'node:util';
import { start } from './index';

const USAGE =
  'usage: cli.ts (--data DIR | --mem) [--port P] [--host H] [--compact-bytes N] [--repair] [--insecure]\n' +
  '  --insecure: no authentication (benchmarks only)\n' +
  '  --repair: set damaged journals/snapshots aside, keep every frame that verifies, write a report\n' +
  '  --port 0 (default) picks a free port; the ready line prints the connection string.';

function fail(message: string): never {
  process.stderr.write(`embedded-mongo: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(): {
  port: number;
  host: string;
  dataDir?: string;
  mem: boolean;
  compactBytes?: number;
  repair: boolean;
  insecure: boolean;
} {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        mem: { type: 'boolean' },
        'compact-bytes': { type: 'string' },
        repair: { type: 'boolean' },
        insecure: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`invalid --port ${String(values.port)}`);
  const mem = values.mem === true;
  const dataDir = typeof values.data === 'string' ? values.data : undefined;
  if (mem === (dataDir !== undefined)) fail('give exactly one of --data DIR or --mem');
  let compactBytes: number | undefined;
  if (values['compact-bytes'] !== undefined) {
    compactBytes = Number(values['compact-bytes']);
    if (!Number.isInteger(compactBytes) || compactBytes <= 0) fail('invalid --compact-bytes');
  }
  const host = typeof values.host === 'string' ? values.host : '127.0.0.1';
  return {
    port,
    host,
    dataDir,
    mem,
    compactBytes,
    repair: values.repair === true,
    insecure: values.insecure === true,
  };
}

async function main(): Promise<void> {
  const args = parse();
  let server;
  try {
    server = await start({
      port: args.port,
      host: args.host,
      dataDir: args.dataDir,
      mem: args.mem,
      repair: args.repair,
      insecure: args.insecure,
      persistence: args.compactBytes ? { compactAfterBytes: args.compactBytes } : undefined,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? `port ${args.port} is already in use` : String(error);
    process.stderr.write(`embedded-mongo: cannot start: ${reason}\n`);
    process.exit(1);
  }
  const running = server;
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`embedded-mongo: error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Printed only once the signal handlers are in place: whoever waits for it may stop us at once.
  process.stdout.write(`embedded-mongo ready at ${running.connectionString}\n`);
}

void main();
