import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EventStoreDBClient } from '@eventstore/db-client';
import { collect, testEvents } from './conformance.helpers';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(__dirname, '..', 'src', 'cli.ts');

interface Running {
  url: string;
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string[] }>;
}

function launch(args: string[]): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts', 'register-ts.js'), CLI, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (lines.length === 1) {
        resolve({
          url: line,
          stop: async (signal) => {
            child.kill(signal);
            return { code: await exited, stdout: lines };
          },
        });
      }
    });
    void exited.then((code) =>
      reject(new Error(`cli exited with ${code} before ready: ${stderr}`)),
    );
  });
}

function runToExit(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['-r', join(ROOT, 'scripts', 'register-ts.js'), CLI, ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('embedded-eventstore CLI', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'es-cli-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints one line with the connection string, serves it, and exits 0 on SIGTERM', async () => {
    const server = await launch(['--mem', '--port', '0']);
    expect(server.url).toMatch(/^esdb:\/\/127\.0\.0\.1:\d+\?tls=false$/);
    const client = EventStoreDBClient.connectionString(server.url);
    await client.appendToStream('cli-smoke', testEvents(2));
    expect(await collect(client.readStream('cli-smoke'))).toHaveLength(2);
    await client.dispose();
    const { code, stdout } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    expect(stdout).toHaveLength(1);
  }, 30_000);

  it('keeps data written before SIGINT across a restart on the same directory', async () => {
    const first = await launch(['--data', dataDir, '--port', '0']);
    let client = EventStoreDBClient.connectionString(first.url);
    await client.appendToStream('cli-durable', testEvents(3));
    await client.dispose();
    expect((await first.stop('SIGINT')).code).toBe(0);

    const second = await launch(['--data', dataDir, '--port', '0']);
    client = EventStoreDBClient.connectionString(second.url);
    expect(await collect(client.readStream('cli-durable'))).toHaveLength(3);
    await client.dispose();
    expect((await second.stop('SIGTERM')).code).toBe(0);
  }, 30_000);

  it('fails with a clear message when the port is taken', async () => {
    const holder = await launch(['--mem', '--port', '0']);
    const port = new URL(holder.url.replace(/^esdb:/, 'http:')).port;
    const result = await runToExit(['--mem', '--port', port]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
    await holder.stop('SIGTERM');
  }, 30_000);

  it.each([
    [['--port', '0'], /--data DIR or --mem/],
    [['--mem', '--port', 'abc'], /--port must be an integer/],
    [['--mem', '--data', '/tmp/x'], /exclude each other/],
    [['--mem', '--max-append-size', '0'], /--max-append-size must be between/],
    [['--mem', '--frobnicate'], /Unknown option/],
  ])(
    'rejects bad arguments %j',
    async (args, message) => {
      const result = await runToExit(args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(message);
    },
    30_000,
  );
});
