import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type MongoServerError } from 'mongodb';
import { type AnyDoc } from './test-database';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'libs', 'embedded-mongo', 'src', 'cli.ts');
const REGISTER = join(ROOT, 'scripts', 'register-ts.js');

interface ServerProcess {
  child: ChildProcess;
  url: string;
}

/** Runs the CLI in a child process on the data dir; resolves with its printed connection string. */
function startServer(dataDir: string): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ['-r', REGISTER, CLI, '--port', '0', '--data', dataDir, '--compact-bytes', '262144'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 20000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /mongodb:\/\/\S+/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[0] });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGKILL the server, start it again on the same data dir, and connect a client to it. */
async function killAndRestart(
  proc: ServerProcess,
  dir: string,
): Promise<{ proc: ServerProcess; client: MongoClient }> {
  proc.child.kill('SIGKILL');
  await exited(proc.child);
  const restarted = await startServer(dir);
  return { proc: restarted, client: await new MongoClient(restarted.url).connect() };
}

describe('embedded-mongo durability: every acknowledged write survives kill -9', () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  // Closed even when an assertion fails midway, so no client keeps reconnecting after the test.
  const clients: MongoClient[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'embedded-mongo-crash-'));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close(true).catch(() => undefined)));
    if (server) {
      server.child.kill('SIGKILL');
      await exited(server.child);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps acknowledged inserts and upserts across repeated SIGKILLs', async () => {
    const inserted = new Set<string>();
    const upsertSeq = new Map<string, number>();
    let seq = 0;

    server = await startServer(dataDir);
    {
      const client = await new MongoClient(server.url).connect();
      await client.db('crash').collection('upserts').createIndex({ key: 1 }, { unique: true });
      await client.close();
    }

    for (let round = 0; round < 5; round++) {
      const client = await new MongoClient(server.url, {
        serverSelectionTimeoutMS: 1000,
        maxPoolSize: 4,
      }).connect();
      clients.push(client);
      const db = client.db('crash');
      let stop = false;
      // Several writers at once so acknowledgements come out of shared (group) commits.
      const writer = async (w: number): Promise<void> => {
        for (let batch = 0; !stop; batch++) {
          const ids = Array.from({ length: 50 }, (_, i) => `r${round}-w${w}-b${batch}-${i}`);
          const mySeq = ++seq;
          // Each writer owns its keys, so its own sequence numbers are the order of its writes.
          const keys = Array.from({ length: 20 }, (_, i) => `w${w}-k${(batch * 7 + i) % 100}`);
          try {
            await db.collection<AnyDoc>('docs').insertMany(
              ids.map((_id) => ({ _id, round, payload: 'x'.repeat(200) })),
              { ordered: false },
            );
            for (const id of ids) inserted.add(id);
            await db.collection('upserts').bulkWrite(
              keys.map((key) => ({
                updateOne: {
                  filter: { key },
                  update: { $set: { seq: mySeq }, $inc: { n: 1 } },
                  upsert: true,
                },
              })),
              { ordered: false },
            );
            for (const key of keys) upsertSeq.set(key, Math.max(upsertSeq.get(key) ?? 0, mySeq));
          } catch {
            return;
          }
        }
      };
      const writers = [0, 1, 2].map((w) => writer(w));
      await sleep(400 + Math.floor(Math.random() * 900));
      server.child.kill('SIGKILL');
      await exited(server.child);
      stop = true;
      await Promise.all(writers);
      await client.close(true).catch(() => undefined);

      server = await startServer(dataDir);
      const check = await new MongoClient(server.url).connect();
      clients.push(check);
      const docs = check.db('crash').collection<AnyDoc>('docs');
      const present = new Set(
        (await docs.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id as string),
      );
      const lost = [...inserted].filter((id) => !present.has(id));
      expect(lost).toEqual([]);
      const upserts = await check.db('crash').collection('upserts').find().toArray();
      const seqByKey = new Map(upserts.map((d) => [d.key as string, d.seq as number]));
      for (const [key, ackSeq] of upsertSeq)
        expect(seqByKey.get(key) ?? -1).toBeGreaterThanOrEqual(ackSeq);
      // The unique index came back with the data.
      const dup = await check
        .db('crash')
        .collection('upserts')
        .insertOne({ key: upserts[0].key })
        .catch((e: unknown) => e);
      expect((dup as MongoServerError).code).toBe(11000);
      await check.close();
    }
    expect(inserted.size).toBeGreaterThan(500);
    // The journal outgrew the compaction threshold, so recovery also went through snapshots.
    expect(readdirSync(dataDir).some((f) => f.startsWith('snapshot-'))).toBe(true);
  }, 60000);

  it('journals one command whose changes exceed 17 MiB (a 40 MB insert, an $out of it) and recovers them', async () => {
    // js-bson serializes into a fixed 17 MiB buffer; a command's journal record can be larger than that.
    const dir = mkdtempSync(join(tmpdir(), 'embedded-mongo-large-'));
    let proc = await startServer(dir);
    try {
      let client = await new MongoClient(proc.url).connect();
      clients.push(client);
      const docs = Array.from({ length: 4000 }, (_, i) => ({
        _id: i,
        pad: `${i}:`.padEnd(10_000, 'x'),
      }));
      const big = client.db('large').collection<AnyDoc>('big');
      // One insert command: the driver packs up to 48 MB into a message.
      const inserted = await big.insertMany(docs, { ordered: false });
      expect(inserted.insertedCount).toBe(4000);
      await big.aggregate([{ $match: {} }, { $out: 'copy' }]).toArray();
      await client.close();
      ({ proc, client } = await killAndRestart(proc, dir));
      clients.push(client);
      for (const name of ['big', 'copy']) {
        const stored = client.db('large').collection<AnyDoc>(name);
        expect(await stored.countDocuments()).toBe(4000);
        expect(await stored.findOne({ _id: 3999 })).toEqual(docs[3999]);
      }
      await client.close();
    } finally {
      if (proc.child.exitCode === null && proc.child.signalCode === null)
        proc.child.kill('SIGKILL');
      await exited(proc.child);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120000);

  it('truncates a torn journal tail on start and keeps appending after it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-mongo-torn-'));
    let proc = await startServer(dir);
    try {
      let client = await new MongoClient(proc.url).connect();
      await client
        .db('torn')
        .collection<AnyDoc>('c')
        .insertMany([{ _id: 1 }, { _id: 2 }]);
      await client.close();
      proc.child.kill('SIGKILL');
      await exited(proc.child);
      const journal = readdirSync(dir).find((f) => f.startsWith('journal-'))!;
      // A half-written record: a length promising more bytes than follow.
      appendFileSync(join(dir, journal), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));

      proc = await startServer(dir);
      client = await new MongoClient(proc.url).connect();
      clients.push(client);
      const c = client.db('torn').collection<AnyDoc>('c');
      expect(await c.countDocuments()).toBe(2);
      await c.insertOne({ _id: 3 });
      await client.close();
      ({ proc, client } = await killAndRestart(proc, dir));
      clients.push(client);
      expect(
        (await client.db('torn').collection<AnyDoc>('c').find().sort({ _id: 1 }).toArray()).map(
          (d) => d._id,
        ),
      ).toEqual([1, 2, 3]);
      await client.close();
      proc.child.kill('SIGTERM');
      await exited(proc.child);
      expect(proc.child.exitCode).toBe(0);
    } finally {
      if (proc.child.exitCode === null && proc.child.signalCode === null)
        proc.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});
