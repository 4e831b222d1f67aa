import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import request from 'supertest';
import { testServers, uniqueId } from '@app/testing';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');

/**
 * The Docker image's runtime, built outside Docker: the compiled apps and the dependencies of `npm ci --omit=dev`
 * (what the Dockerfile's `npm ci` + `npm prune --omit=dev` leave) in a folder of their own, so a module that only
 * a dev dependency brings would be missing here as it would be in the image. `npm ci` reads the lock file and
 * prefers the npm cache, which the suite's own install filled: no download when nothing changed.
 */
async function productionCopy(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-production-'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
  const tsc = (bin: string, ...args: string[]) =>
    run(process.execPath, [join(ROOT, 'node_modules', bin), ...args], { cwd: ROOT });
  const dist = join(dir, 'dist');
  await tsc(
    'typescript/bin/tsc',
    '-p',
    'tsconfig.build.json',
    '--outDir',
    dist,
    '--incremental',
    'false',
  );
  await tsc('tsc-alias/dist/bin/index.js', '-p', 'tsconfig.build.json', '--outDir', dist);
  await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  });
  return dir;
}

interface Started {
  url?: string;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
  stop(): Promise<number | null>;
}

/**
 * The image's command, `node --env-file=<secret file> dist/...`, in the production copy with NODE_ENV=production
 * and nothing else of this process's environment (which holds the suite's store URLs): the settings come from the
 * file alone, as in the container.
 */
function startProduction(
  dir: string,
  entry: string,
  settings: Record<string, string>,
  ready: RegExp,
) {
  const envFile = join(dir, `settings-${uniqueId('env')}`);
  writeFileSync(
    envFile,
    Object.entries(settings)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
    { mode: 0o600 },
  );
  const child = spawn(process.execPath, [`--env-file=${envFile}`, entry], {
    cwd: dir,
    env: { PATH: process.env.PATH, NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: Started = {
    stdout: [],
    stderr: [],
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    async stop() {
      child.kill('SIGTERM');
      return started.exit;
    },
  };
  return new Promise<Started>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      started.stdout.push(line);
      const match = ready.exec(line);
      if (match) resolve({ ...started, url: match[1] });
    });
    createInterface({ input: child.stderr }).on('line', (line) => started.stderr.push(line));
    void started.exit.then((code) =>
      reject(
        new Error(
          `${entry} exited (${code}) before it was ready:\n${[...started.stdout, ...started.stderr].join('\n')}`,
        ),
      ),
    );
  });
}

describe('the production build (npm ci --omit=dev, NODE_ENV=production, settings from a secret file)', () => {
  let dir: string;
  let settings: Record<string, string>;
  const ingestSecret = randomBytes(24).toString('hex');

  beforeAll(async () => {
    dir = await productionCopy();
    const { eventStoreUrl, mongoUrl } = testServers();
    // The embedded servers' own connection strings: credentials for both, TLS with their CA for the event store.
    expect(eventStoreUrl).toMatch(/^esdb:\/\/admin:[^@]+@[^?]+\?tls=true&tlsCAFile=/);
    expect(mongoUrl).toMatch(/^mongodb:\/\/admin:[^@]+@/);
    settings = {
      EVENTSTORE_URL: eventStoreUrl,
      MONGODB_URL: mongoUrl,
      MONGODB_DB: uniqueId('production').replace(/-/g, '_'),
      CRM_API_KEYS: `ingest:till-1:${ingestSecret},admin:ops:${randomBytes(24).toString('hex')}`,
      CRM_REVIEW_INTERVAL_MINUTES: '0',
    };
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API, ready on both stores, with the configured keys only, and stops on SIGTERM with exit 0 and nothing on stderr', async () => {
    const api = await startProduction(
      dir,
      'dist/apps/api/src/main.js',
      settings,
      /API listening on (http:\/\/\S+)/,
    );
    try {
      const ready = await request(api.url!).get('/health/ready');
      expect({ status: ready.status, body: ready.body as unknown }).toMatchObject({
        status: 200,
        body: { status: 'up', checks: { eventStore: { status: 'up' }, mongodb: { status: 'up' } } },
      });
      const live = await request(api.url!).get('/health/live');
      expect(live.status).toBe(200);
      // The configured key opens the API; a development key does not, under NODE_ENV=production.
      const withKey = await request(api.url!)
        .get('/v1/customers/cust-production-1')
        .set('Authorization', `Bearer ${ingestSecret}`);
      expect(withKey.status).not.toBe(401);
      const devKey = await request(api.url!)
        .get('/v1/customers/cust-production-1')
        .set('Authorization', 'Bearer dev-ingest');
      expect(devKey.status).toBe(401);
    } finally {
      expect(await api.stop()).toBe(0);
    }
    expect(api.stderr).toEqual([]);
  }, 120_000);

  it('runs the projector from the same build and stops it on SIGTERM with exit 0 and nothing on stderr', async () => {
    const projector = await startProduction(
      dir,
      'dist/apps/projector/src/main.js',
      settings,
      // The last line main() prints, after its signal handlers are in place.
      /()projector running/,
    );
    expect(await projector.stop()).toBe(0);
    expect(projector.stderr).toEqual([]);
  }, 120_000);

  it.each([['kurrentdb://admin:changeit@localhost:2113?tls=true'], ['kdb://localhost:2113']])(
    'refuses EVENTSTORE_URL=%s at boot, naming the schemes client 6.2.1 reads',
    async (url) => {
      const refused = await startProduction(
        dir,
        'dist/apps/api/src/main.js',
        { ...settings, EVENTSTORE_URL: url },
        /API listening on (http:\/\/\S+)/,
      ).then(
        async (api) => {
          await api.stop();
          return 'started';
        },
        (error: Error) => error.message,
      );
      expect(refused).toMatch(/exited \(1\) before it was ready/);
      expect(refused).toContain(
        'EVENTSTORE_URL must be an esdb:// or esdb+discover:// connection string (the event store client 6.2.1 reads no other scheme)',
      );
    },
    60_000,
  );
});
