import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { start } from '@app/embedded-mongo';
import { FRAME_HEADER_SIZE } from '@app/embedded-storage';

const DOCS = 40;

async function withServer<T>(
  dataDir: string,
  body: (client: MongoClient) => Promise<T>,
  extra: { repair?: boolean; lines?: string[] } = {},
): Promise<T> {
  const server = await start({
    port: 0,
    dataDir,
    repair: extra.repair,
    log: (line) => extra.lines?.push(line),
  });
  const client = new MongoClient(server.connectionString, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    return await body(client);
  } finally {
    await client.close();
    await server.stop();
  }
}

async function writeDocs(dataDir: string): Promise<void> {
  await withServer(dataDir, async (client) => {
    const coll = client.db('r').collection<{ _id: number; v: string }>('c');
    for (let i = 0; i < DOCS; i++) await coll.insertOne({ _id: i, v: `value-${i}` });
  });
}

async function readIds(dataDir: string, lines: string[], repair = false): Promise<number[]> {
  return withServer(
    dataDir,
    async (client) =>
      (await client.db('r').collection<{ _id: number }>('c').find().sort({ _id: 1 }).toArray()).map(
        (d) => d._id,
      ),
    { repair, lines },
  );
}

/** One insert through a server that compacts after every write, so the data directory ends with a fresh snapshot. */
async function insertThroughCompactingServer(
  dataDir: string,
  collection: string,
  doc: { _id: number; v: string },
): Promise<void> {
  const server = await start({
    port: 0,
    dataDir,
    log: () => undefined,
    persistence: { compactAfterBytes: 1 },
  });
  const client = new MongoClient(server.connectionString);
  try {
    await client.db('r').collection<{ _id: number; v: string }>(collection).insertOne(doc);
  } finally {
    await client.close();
    await server.stop();
  }
}

function frameStarts(bytes: Buffer): number[] {
  const starts: number[] = [];
  for (let o = 0; o < bytes.length; o += FRAME_HEADER_SIZE + bytes.readUInt32LE(o)) starts.push(o);
  return starts;
}

describe('embedded-mongo recovery: damage is never silent', () => {
  let dir: string;
  let journal: Buffer;
  let starts: number[];

  beforeAll(async () => {
    const seed = mkdtempSync(join(tmpdir(), 'mongo-recovery-seed-'));
    await writeDocs(seed);
    journal = readFileSync(join(seed, 'journal-00000001.log'));
    starts = frameStarts(journal);
    rmSync(seed, { recursive: true, force: true });
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mongo-recovery-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start on a flipped bit anywhere in the journal, naming file and offset; --repair keeps every other record', async () => {
    const positions = new Set<number>();
    for (const k of [0, Math.floor(starts.length / 2), starts.length - 1]) {
      const s = starts[k];
      const e = k + 1 < starts.length ? starts[k + 1] : journal.length;
      for (const p of [s, s + 2, s + 6, s + 9, Math.floor((s + e) / 2), e - 1]) positions.add(p);
    }
    for (let p = 0; p < journal.length; p += Math.floor(journal.length / 9)) positions.add(p);
    const path = join(dir, 'journal-00000001.log');
    for (const position of positions) {
      const damaged = Buffer.from(journal);
      damaged[position] ^= 0x04;
      writeFileSync(path, damaged);
      const frame = starts.filter((s) => s <= position).length - 1;
      await expect(start({ port: 0, dataDir: dir, log: () => undefined })).rejects.toThrow(
        `${path} is damaged at offset ${starts[frame]} `,
      );
      expect(readFileSync(path)).toEqual(damaged);
      const lines: string[] = [];
      const ids = await readIds(dir, lines, true);
      // The inserts are one record each (after the collection's creation record).
      expect(ids.length).toBeGreaterThanOrEqual(DOCS - 1);
      expect(lines.some((l) => l.startsWith(`repair: ${path}`))).toBe(true);
      expect(readdirSync(dir).some((f) => f.startsWith('repair-'))).toBe(true);
      for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true });
    }
  });

  it('cuts a torn tail at every byte of the last record and keeps every earlier one, saying so', async () => {
    const last = starts.at(-1)!;
    for (let cut = last + 1; cut < journal.length; cut++) {
      writeFileSync(join(dir, 'journal-00000001.log'), journal.subarray(0, cut));
      const lines: string[] = [];
      expect(await readIds(dir, lines)).toEqual([...Array(DOCS - 1).keys()]);
      expect(lines[0]).toContain(`${cut - last} byte(s) at offset ${last}`);
      expect(lines.find((l) => l.startsWith('recovery:'))).toContain(
        `${cut - last} torn byte(s) cut`,
      );
      for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true });
    }
  });

  it('rebuilds from the journals when the newest snapshot is damaged or incomplete', async () => {
    await writeDocs(dir);
    await withServer(dir, async (client) => {
      await client.db('admin').command({ ping: 1 });
    });
    // Compact by hand, then damage the snapshot.
    await insertThroughCompactingServer(dir, 'c', { _id: 1000, v: 'after' });
    const snapshot = readdirSync(dir).find((f) => f.startsWith('snapshot-'))!;
    const intact = readFileSync(join(dir, snapshot));
    const snapStarts = frameStarts(intact);
    // Completeness: a snapshot cut at a frame boundary verifies frame by frame but lacks its end.
    for (const damaged of [
      intact.subarray(0, snapStarts.at(-1)),
      Buffer.from(intact).fill(0x55, snapStarts[1] + 9, snapStarts[1] + 10),
    ]) {
      writeFileSync(join(dir, snapshot), damaged);
      const lines: string[] = [];
      const ids = await readIds(dir, lines);
      expect(ids).toEqual([...Array(DOCS).keys(), 1000]);
      expect(lines.join('\n')).toContain(`${join(dir, snapshot)} is damaged`);
      writeFileSync(join(dir, snapshot), intact);
    }
  });

  it('a damaged journal never wins silently over a good snapshot', async () => {
    await writeDocs(dir);
    const journalPath = join(dir, 'journal-00000001.log');
    const bytes = readFileSync(journalPath);
    // A bit inside a stored string: without the journal's checksum this would replay a wrong value.
    const at = bytes.indexOf('value-7');
    bytes[at + 6] ^= 0x01;
    writeFileSync(journalPath, bytes);
    await expect(start({ port: 0, dataDir: dir, log: () => undefined })).rejects.toThrow(
      /journal-00000001\.log is damaged at offset \d+ \(checksum mismatch\)/,
    );
  });
});

describe('embedded-mongo snapshots of large documents', () => {
  it('keeps a snapshot slice larger than one 17 MiB serialize call, byte for byte, across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mongo-large-snapshot-'));
    const MiB = 1024 * 1024;
    // Three 7 MiB documents share one snapshot slice of about 21 MiB.
    const docs = [0, 1, 2].map((i) => ({ _id: i, v: String.fromCharCode(97 + i).repeat(7 * MiB) }));
    try {
      await withServer(dir, async (client) => {
        for (const doc of docs)
          await client.db('r').collection<{ _id: number; v: string }>('big').insertOne(doc);
      });
      // The next insert snapshots all four documents.
      await insertThroughCompactingServer(dir, 'big', { _id: 3, v: 'after' });
      const snapshot = readdirSync(dir).find((f) => f.startsWith('snapshot-'));
      expect(snapshot).toBeDefined();
      expect(readFileSync(join(dir, snapshot!)).length).toBeGreaterThan(21 * MiB);
      const lines: string[] = [];
      const back = await withServer(
        dir,
        (reopened) => reopened.db('r').collection('big').find().sort({ _id: 1 }).toArray(),
        { lines },
      );
      // Restored from the snapshot alone, not from the journals beside it.
      expect(lines.join('\n')).toContain('(4 document(s)), 0 journal record(s) replayed');
      expect(back).toEqual([...docs, { _id: 3, v: 'after' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
