import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { testServers, uniqueId } from '@app/testing';

const ROOT = join(__dirname, '..', '..');

export interface ApiProcess {
  process: ChildProcess;
  url: string;
  /** Every line the process wrote to stdout and stderr. */
  output: string[];
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** The suite's stores, with a database of its own, for API processes started by startApiProcess. */
export function storeEnv(prefix: string): NodeJS.ProcessEnv {
  const { eventStoreUrl, mongoUrl } = testServers();
  return {
    EVENTSTORE_URL: eventStoreUrl,
    MONGODB_URL: mongoUrl,
    MONGODB_DB: uniqueId(prefix).replace(/-/g, '_'),
  };
}

/**
 * The API as its own OS process (apps/api/src/main.ts from the sources), configured by `env`; or another entry
 * point (the projector, an embedded server's cli.ts with `args`), ready when it prints `ready`.
 */
export function startApiProcess(
  env: NodeJS.ProcessEnv,
  entry = 'apps/api/src/main.ts',
  ready = 'API listening on',
  args: readonly string[] = [],
): Promise<ApiProcess> {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts/register-ts.js'), join(ROOT, entry), ...args],
    {
      env: { ...process.env, PORT: '0', CRM_REVIEW_INTERVAL_MINUTES: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      if (!line.includes(ready)) return;
      resolve({
        process: child,
        url: /(http:\/\/\S+)/.exec(line)?.[1] ?? '',
        output,
        exited,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((code) =>
      reject(new Error(`${entry} exited (${code}):\n${output.join('\n')}`)),
    );
  });
}

/** The parts of answers the process-level tests look at. */
export interface ApiAnswer {
  status?: string;
  region?: string;
  code?: string;
  items?: Array<{ data: Record<string, unknown> }>;
  certificate?: {
    processes: { confirmed: number; presumedStopped: number };
    stream: { lastPosition: number };
  };
}

/** One HTTP call to a process started by startApiProcess. */
export async function callApi(
  api: ApiProcess,
  method: string,
  path: string,
  key: string,
  body?: object,
): Promise<{ status: number; body: ApiAnswer }> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as ApiAnswer };
}
