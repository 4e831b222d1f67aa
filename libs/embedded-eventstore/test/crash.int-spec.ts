import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { EventStoreDBClient, type ResolvedEvent, StreamNotFoundError } from '@eventstore/db-client';
import { start } from '@app/embedded-eventstore';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(__dirname, 'crash-writer.fixture.ts');
const ROUNDS = 5;
const WRITERS = 4;

interface ChildLog {
  tried: Set<string>;
  acked: Map<number, string[]>;
}

function runUntilKilled(dataDir: string, log: ChildLog, killAfterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['-r', join(ROOT, 'scripts', 'register-ts.js'), FIXTURE, dataDir],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'READY') {
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        return;
      }
      const [kind, writer, ids] = line.split(' ');
      if (kind === 'TRY') for (const id of ids.split(',')) log.tried.add(id);
      if (kind === 'ACK') log.acked.get(Number(writer))!.push(...ids.split(','));
    });
    child.on('error', reject);
    // 'close', not 'exit': only then has every line the writer printed been read from its stdout
    // (under load 'exit' can come first, and an event seen stored would look never sent).
    child.on('close', (_code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited on its own: ${stderr}`));
    });
  });
}

async function readStream(client: EventStoreDBClient, stream: string): Promise<ResolvedEvent[]> {
  const events: ResolvedEvent[] = [];
  try {
    for await (const event of client.readStream(stream)) events.push(event);
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return events;
}

describe('durability across kill -9', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'es-crash-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged event exactly once, in order, and nothing that was never sent', async () => {
    const log: ChildLog = {
      tried: new Set(),
      acked: new Map(Array.from({ length: WRITERS }, (_, w) => [w, []])),
    };
    let previouslyStored = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      await runUntilKilled(dataDir, log, 300 + Math.floor(Math.random() * 900));
      if (round === 2) {
        // A half-written frame, as a power cut in the middle of a write would leave it.
        appendFileSync(
          join(dataDir, 'events.log'),
          Buffer.from([200, 1, 0, 0, 7, 7, 7, 7, 1, 2, 3]),
        );
      }
      const server = await start({ port: 0, dataDir });
      const client = EventStoreDBClient.connectionString(server.connectionString);
      try {
        const stored = new Set<string>();
        for (let writer = 0; writer < WRITERS; writer++) {
          const events = await readStream(client, `crash-${writer}`);
          expect(events.map((e) => e.event!.revision)).toEqual(events.map((_, i) => BigInt(i)));
          const ids = events.map((e) => e.event!.id);
          for (const id of ids) {
            expect(log.tried.has(id)).toBe(true);
            expect(stored.has(id)).toBe(false);
            stored.add(id);
          }
          const acked = log.acked.get(writer)!;
          const ackedSet = new Set(acked);
          expect(ids.filter((id) => ackedSet.has(id))).toEqual(acked);
        }
        for (const id of previouslyStored) expect(stored.has(id)).toBe(true);
        const all: string[] = [];
        for await (const event of client.readAll()) {
          if (event.event!.streamId.startsWith('crash-')) all.push(event.event!.id);
        }
        expect(new Set(all).size).toBe(all.length);
        expect(new Set(all)).toEqual(stored);
        expect([...log.acked.values()].flat().length).toBeGreaterThan(round * 10);
        previouslyStored = stored;
      } finally {
        await client.dispose();
        await server.stop();
      }
    }
  }, 60_000);
});
