import { type Document } from 'bson';
import {
  FRAME_HEADER_SIZE,
  PowerLossFileSystem,
  seededRandom,
  type TearMode,
} from '@app/embedded-storage';
import { dispatch } from '../commands/command-dispatcher';
import { MongoServer } from '../server/mongo-server';

// Power loss, not kill -9: after a cut only what was fsync'd is on disk (plus, perhaps, part of
// the write in flight). Journals, snapshots and their folder entries all go through the recording
// file layer; compaction runs during the workload. Every write acknowledged before the cut must
// be there after recovery, and recovery must accept every state a cut can leave.

const DATA_DIR = '/data/mongo';
const CRASH_POINTS = 200;

type Expectation =
  | { kind: 'present'; id: number; v: number; at: number }
  | { kind: 'deleted'; id: number; at: number };

function open(fs: PowerLossFileSystem, lines: string[] = []): Promise<MongoServer> {
  const server = new MongoServer({
    dataDir: DATA_DIR,
    persistence: {
      fs,
      compactAfterBytes: 6 * 1024,
      compactCheckMs: 3_600_000,
      log: (l) => lines.push(l),
    },
  });
  return server.listen().then(() => server);
}

async function run(server: MongoServer, command: Document): Promise<Document> {
  const reply = await dispatch(server.state, { ...command, $db: 'crm' }, 1);
  if (reply.ok !== 1) throw new Error(`command failed: ${JSON.stringify(reply)}`);
  return reply;
}

async function documents(server: MongoServer): Promise<Map<number, number>> {
  const reply = await run(server, { find: 'docs', filter: {}, batchSize: 1_000_000 });
  const batch = (reply.cursor as { firstBatch: { _id: number; v: number }[] }).firstBatch;
  return new Map(batch.map((d) => [d._id, d.v]));
}

/** Inserts, updates (v only grows) and deletes from concurrent clients, across compactions. */
async function recordWorkload(fs: PowerLossFileSystem): Promise<Expectation[]> {
  const server = await open(fs);
  const expectations: Expectation[] = [];
  const pad = 'p'.repeat(300);
  for (let round = 0; round < 10; round++) {
    await Promise.all(
      Array.from({ length: 6 }, async (_, c) => {
        const id = round * 6 + c;
        await run(server, { insert: 'docs', documents: [{ _id: id, v: 0, pad }] });
        expectations.push({ kind: 'present', id, v: 0, at: fs.operationCount });
        if (round > 0) {
          const older = (round - 1) * 6 + c;
          if (c === 0) {
            await run(server, { delete: 'docs', deletes: [{ q: { _id: older }, limit: 1 }] });
            expectations.push({ kind: 'deleted', id: older, at: fs.operationCount });
          } else {
            await run(server, {
              update: 'docs',
              updates: [{ q: { _id: older }, u: { $set: { v: round } } }],
            });
            expectations.push({ kind: 'present', id: older, v: round, at: fs.operationCount });
          }
        }
      }),
    );
  }
  await server.close();
  return expectations;
}

function check(found: Map<number, number>, expectations: Expectation[], at: number): string[] {
  const problems: string[] = [];
  for (const e of expectations.filter((x) => x.at <= at)) {
    const v = found.get(e.id);
    if (e.kind === 'deleted' && v !== undefined) problems.push(`deleted ${e.id} is back`);
    const deletedLater = expectations.some((x) => x.kind === 'deleted' && x.id === e.id);
    if (e.kind === 'present' && !deletedLater && (v === undefined || v < e.v))
      problems.push(`${e.id} v>=${e.v} acknowledged, found ${v}`);
  }
  return problems;
}

describe('embedded-mongo persistence after a power cut', () => {
  let fs: PowerLossFileSystem;
  let expectations: Expectation[];

  beforeAll(async () => {
    fs = new PowerLossFileSystem();
    expectations = await recordWorkload(fs);
  });

  it('compacts during the workload (so snapshots are crashed too)', () => {
    const names = [...fs.files().keys()];
    expect(names.filter((n) => n.includes('snapshot-')).length).toBeGreaterThan(0);
  });

  it.each<[TearMode, number]>([
    ['prefix', 11],
    ['zero-filled', 12],
  ])(
    'keeps every acknowledged write at %s-torn crash points and starts (seed %i)',
    async (tear, seed) => {
      const random = seededRandom(seed);
      const total = fs.operationCount;
      for (let k = 0; k < CRASH_POINTS / 2; k++) {
        const at = Math.floor(random() * (total + 1));
        const lines: string[] = [];
        const server = await open(fs.crashAt(at, random, tear), lines).catch((error: Error) => {
          throw new Error(`crash point ${at} (seed ${seed}): recovery refused: ${error.message}`);
        });
        try {
          const problems = check(await documents(server), expectations, at);
          if (problems.length > 0)
            throw new Error(
              `crash point ${at} (seed ${seed}): ${problems.join('; ')}; ${lines.join(' | ')}`,
            );
          await run(server, { insert: 'docs', documents: [{ _id: 'after-crash', v: 0 }] });
        } finally {
          await server.close();
        }
      }
    },
  );

  it('passes over a snapshot that verifies frame by frame but lacks its end, for the generation before it', async () => {
    const files = fs.files();
    const newest = [...files.keys()]
      .filter((n) => n.includes('snapshot-'))
      .sort()
      .at(-1)!;
    const intact = files.get(newest)!;
    // Cut at the start of a frame in the middle: every remaining frame verifies.
    const starts: number[] = [];
    for (let at = 0; at < intact.length; at += FRAME_HEADER_SIZE + intact.readUInt32LE(at))
      starts.push(at);
    files.set(newest, intact.subarray(0, starts[Math.floor(starts.length / 2)]));
    const lines: string[] = [];
    const server = await open(new PowerLossFileSystem(files), lines);
    try {
      expect(check(await documents(server), expectations, Infinity)).toEqual([]);
      expect(lines.join('\n')).toContain('incomplete: no end record');
    } finally {
      await server.close();
    }
  });
});
