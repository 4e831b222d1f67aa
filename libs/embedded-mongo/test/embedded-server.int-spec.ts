import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type MongoServerError, ObjectId } from 'mongodb';
import { spawn } from 'node:child_process';
import { start } from '@app/embedded-mongo';
import { type AnyDoc } from './test-database';

// Behaviour of the embedded server itself (its start API, timers, restarts): these suites start
// their own instances instead of using MONGODB_URL.
describe('embedded-mongo server lifecycle', () => {
  it('starts on a free port, reports it in the connection string and stops', async () => {
    const server = await start({ port: 0, mem: true });
    expect(server.connectionString).toMatch(
      new RegExp(
        `^mongodb://admin:[0-9a-f]{48}@127\\.0\\.0\\.1:${server.port}/\\?authSource=admin$`,
      ),
    );
    const client = await new MongoClient(server.connectionString).connect();
    expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
    await client.close();
    await server.stop();
  });

  it('refuses a port already in use and a start without dataDir or mem', async () => {
    const first = await start({ port: 0, mem: true });
    try {
      await expect(start({ port: first.port, mem: true })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.stop();
    }
    await expect(start({ port: 0 })).rejects.toThrow(/dataDir or mem/);
  });

  it('keeps data across a clean stop and start on the same data dir', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'embedded-mongo-restart-'));
    try {
      let server = await start({ port: 0, dataDir });
      let client = await new MongoClient(server.connectionString).connect();
      await client
        .db('keep')
        .collection<AnyDoc>('c')
        .insertMany([
          { _id: 1, k: 'a' },
          { _id: 2, k: 'b' },
        ]);
      await client.db('keep').collection('c').createIndex({ k: 1 }, { unique: true });
      await client.close();
      await server.stop();

      server = await start({ port: 0, dataDir });
      client = await new MongoClient(server.connectionString).connect();
      expect(await client.db('keep').collection('c').countDocuments()).toBe(2);
      expect((await client.db('keep').collection('c').indexes()).map((i) => i.name)).toEqual([
        '_id_',
        'k_1',
      ]);
      await client.close();
      await server.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a second server on a data dir that is in use', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'embedded-mongo-lock-'));
    try {
      const first = await start({ port: 0, dataDir });
      await expect(start({ port: 0, dataDir })).rejects.toThrow(/already open|in use/);
      await first.stop();
      const again = await start({ port: 0, dataDir });
      await again.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('does not run client-supplied JavaScript ($where)', async () => {
    const server = await start({ port: 0, mem: true });
    const client = await new MongoClient(server.connectionString).connect();
    try {
      const c = client.db('js').collection('c');
      await c.insertOne({ a: 1 });
      const error = await c
        .find({ $where: 'this.a === 1' })
        .toArray()
        .catch((e: unknown) => e);
      expect((error as MongoServerError).code).toBe(2);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it('assigns an ObjectId _id to documents inserted without one by a raw command', async () => {
    const server = await start({ port: 0, mem: true });
    const client = await new MongoClient(server.connectionString).connect();
    try {
      const db = client.db('raw');
      await db.command({ insert: 'c', documents: [{ a: 1 }] });
      const [doc] = await db.collection('c').find().toArray();
      expect(doc._id).toBeInstanceOf(ObjectId);
      expect(Object.keys(doc)).toEqual(['_id', 'a']);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it('expires documents through a TTL index', async () => {
    const server = await start({ port: 0, mem: true, ttlIntervalMs: 100 });
    const client = await new MongoClient(server.connectionString).connect();
    try {
      const c = client.db('ttl').collection('sessions');
      await c.createIndex({ seenAt: 1 }, { expireAfterSeconds: 60 });
      await c.insertMany([
        { name: 'old', seenAt: new Date(Date.now() - 120_000) },
        { name: 'fresh', seenAt: new Date() },
        { name: 'no date', seenAt: 'yesterday' },
      ]);
      const deadline = Date.now() + 5000;
      while ((await c.countDocuments()) > 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await c.find().toArray()).map((d) => d.name).sort()).toEqual(['fresh', 'no date']);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  describe('CLI', () => {
    const root = join(__dirname, '..', '..', '..');
    const run = (
      args: string[],
    ): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(
          process.execPath,
          [
            '-r',
            join(root, 'scripts', 'register-ts.js'),
            join(root, 'libs/embedded-mongo/src/cli.ts'),
            ...args,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          // Ready: stop it the way a user would.
          if (stdout.includes('\n')) child.kill('SIGINT');
        });
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });

    it('prints one ready line with the connection string and exits cleanly on SIGINT', async () => {
      const result = await run(['--mem', '--port', '0']);
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
      expect(result.stdout).toMatch(
        /mongodb:\/\/admin:[0-9a-f]+@127\.0\.0\.1:\d+\/\?authSource=admin/,
      );
      expect(result.code).toBe(0);
    });

    it('fails with a clear message and a non-zero code on bad arguments or a busy port', async () => {
      const bad = await run(['--mem', '--port', 'abc']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/invalid --port/);
      const neither = await run(['--port', '0']);
      expect(neither.code).not.toBe(0);
      expect(neither.stderr).toMatch(/--data DIR or --mem/);
      const busy = await start({ port: 0, mem: true });
      try {
        const taken = await run(['--mem', '--port', String(busy.port)]);
        expect(taken.code).not.toBe(0);
        expect(taken.stderr).toMatch(/already in use/);
      } finally {
        await busy.stop();
      }
    });
  });
});
