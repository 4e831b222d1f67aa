import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('prints one line with the connection string (user, password, TLS and CA file, the loopback named localhost as TLS wants), serves it, and exits 0 on SIGTERM', async () => {
    const server = await launch(['--mem', '--port', '0']);
    expect(server.url).toMatch(
      /^esdb:\/\/admin:[0-9a-f]{48}@localhost:\d+\?tls=true&tlsCAFile=\/\S+\/ca\.crt$/,
    );
    const client = EventStoreDBClient.connectionString(server.url);
    await client.appendToStream('cli-smoke', testEvents(2));
    expect(await collect(client.readStream('cli-smoke'))).toHaveLength(2);
    await client.dispose();
    const { code, stdout } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    expect(stdout).toHaveLength(1);
  }, 30_000);

  it('--insecure keeps the plain connection for benchmarks', async () => {
    const server = await launch(['--mem', '--port', '0', '--insecure']);
    expect(server.url).toMatch(/^esdb:\/\/127\.0\.0\.1:\d+\?tls=false$/);
    const client = EventStoreDBClient.connectionString(server.url);
    await client.appendToStream('cli-insecure', testEvents(1));
    await client.dispose();
    expect((await server.stop('SIGTERM')).code).toBe(0);
  }, 30_000);

  it('keeps data written before SIGINT across a restart on the same directory, with the same private credentials', async () => {
    const first = await launch(['--data', dataDir, '--port', '0']);
    let client = EventStoreDBClient.connectionString(first.url);
    await client.appendToStream('cli-durable', testEvents(3));
    await client.dispose();
    expect((await first.stop('SIGINT')).code).toBe(0);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'events.log')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'secrets')).mode & 0o777).toBe(0o700);
    for (const file of ['admin.password', 'ca.crt', 'node.crt', 'node.key'])
      expect(statSync(join(dataDir, 'secrets', file)).mode & 0o777).toBe(0o600);
    const password = readFileSync(join(dataDir, 'secrets', 'admin.password'), 'utf8').trim();
    expect(first.url).toContain(`admin:${password}@`);

    const second = await launch(['--data', dataDir, '--port', '0']);
    expect(second.url.replace(/:\d+\?/, '?')).toBe(first.url.replace(/:\d+\?/, '?'));
    client = EventStoreDBClient.connectionString(second.url);
    expect(await collect(client.readStream('cli-durable'))).toHaveLength(3);
    await client.dispose();
    expect((await second.stop('SIGTERM')).code).toBe(0);
  }, 30_000);

  it('refuses to start on a damaged log, naming the file and offset, and starts with --repair', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'es-cli-damaged-'));
    const first = await launch(['--data', dir, '--port', '0']);
    const client = EventStoreDBClient.connectionString(first.url);
    for (let i = 0; i < 5; i++) await client.appendToStream('cli-damaged', testEvents(1));
    await client.dispose();
    await first.stop('SIGTERM');
    const log = join(dir, 'events.log');
    const bytes = readFileSync(log);
    // Damage the frame of the third append (the log also holds the node's own system events).
    let at = -1;
    for (let n = 0; n < 3; n++) at = bytes.indexOf('cli-damaged', at + 1);
    expect(at).toBeGreaterThan(0);
    bytes[at] ^= 0x20;
    writeFileSync(log, bytes);
    const refused = await runToExit(['--data', dir, '--port', '0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `${log.replace(/[/.]/g, '\\$&')} is damaged at offset \\d+ .* readable frame\\(s\\) follow`,
      ),
    );
    const repaired = await launch(['--data', dir, '--port', '0', '--repair']);
    const after = EventStoreDBClient.connectionString(repaired.url);
    // One frame is lost; the stream keeps the revisions before the hole.
    expect((await collect(after.readStream('cli-damaged'))).length).toBeLessThan(5);
    await after.dispose();
    expect((await repaired.stop('SIGTERM')).code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('fails with a clear message when the port is taken', async () => {
    const holder = await launch(['--mem', '--port', '0']);
    const port = /:(\d+)\?/.exec(holder.url)![1];
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
