import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EMBEDDED_MONGO_NODE_FLAGS } from '@app/embedded-mongo';
import { READ_MODEL_NODE_FLAGS } from '@app/read-models';

const ROOT = join(__dirname, '..');

interface Running {
  process: ChildProcess;
  apiUrl: string;
  output: string[];
  exited: Promise<number | null>;
}

/** `npm start` as a user runs it (from the sources, so the test needs no build), on the embedded servers. */
function launch(dataDir: string): Promise<Running> {
  const env: NodeJS.ProcessEnv = { ...process.env, CRM_DATA_DIR: dataDir, PORT: '0' };
  delete env.EVENTSTORE_URL;
  delete env.MONGODB_URL;
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts/register-ts.js'), join(ROOT, 'apps/launcher/src/main.ts')],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const onLine = (line: string) => {
      output.push(line);
      if (!line.includes('Ctrl-C stops everything')) return;
      const api = output.map((l) => /^\s+API:\s+(\S+)/.exec(l)).find(Boolean);
      if (api) resolve({ process: child, apiUrl: api[1], output, exited });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then((code) =>
      reject(new Error(`launcher exited (${code}):\n${output.join('\n')}`)),
    );
  });
}

async function register(apiUrl: string, customerId: string): Promise<number> {
  const response = await fetch(`${apiUrl}/v1/customers`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dev-ingest', 'Content-Type': 'application/json' },
    body: JSON.stringify({ customerId, name: 'Ada' }),
  });
  return response.status;
}

/** The projector follows the customer streams: its checkpoint reaches the head of $all within a few seconds. */
async function projectorCatchesUp(apiUrl: string): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const ready = (await (await fetch(`${apiUrl}/health/ready`)).json()) as {
      projector: { caughtUp: boolean; checkpoint: string | null };
    };
    if (ready.projector.caughtUp && ready.projector.checkpoint !== null) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/** The command lines of a process's children, from /proc. */
function childCommandLines(pid: number): string[][] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  return children
    .filter(Boolean)
    .map((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').filter(Boolean));
}

describe('npm start (the launcher)', () => {
  it('runs everything on the embedded servers, stops cleanly on Ctrl-C and keeps data across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'crm-start-'));

    const first = await launch(dataDir);
    expect(first.output.join('\n')).toMatch(/Docs:\s+http:\/\/127\.0\.0\.1:\d+\/docs/);
    const ready = await fetch(`${first.apiUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await register(first.apiUrl, 'kept-1')).toBe(201);
    expect(await projectorCatchesUp(first.apiUrl)).toBe(true);
    // The MongoDB-compatible server runs with the V8 flags its library asks for.
    const mongo = childCommandLines(first.process.pid!).find((args) =>
      args.some((arg) => arg.includes('embedded-mongo')),
    );
    expect(mongo).toEqual(expect.arrayContaining([...EMBEDDED_MONGO_NODE_FLAGS]));
    // So do the API and the projector, with the read models' flags.
    for (const app of ['apps/api', 'apps/projector']) {
      const args = childCommandLines(first.process.pid!).find((line) =>
        line.some((arg) => arg.includes(`${app}/src/main`)),
      );
      expect(args).toEqual(expect.arrayContaining([...READ_MODEL_NODE_FLAGS]));
    }
    first.process.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output).toEqual(expect.arrayContaining(['[launcher] everything stopped cleanly']));

    const second = await launch(dataDir);
    try {
      expect(await register(second.apiUrl, 'kept-1')).toBe(409);
    } finally {
      second.process.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 120_000);
});
