import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  jsonEvent,
  type ResolvedEvent,
  START,
} from '@eventstore/db-client';
import { type EventStore, start } from '@app/embedded-eventstore';

// What chunk files, index checkpoints and the bounded read cache look like from the official
// client: nothing but the same events, in the same order, with positions that keep growing.

const CHUNK_SIZE = 8 * 1024;
const CACHE_SIZE = 4 * 1024;

async function collect(source: AsyncIterable<ResolvedEvent>): Promise<ResolvedEvent[]> {
  const events: ResolvedEvent[] = [];
  for await (const event of source) events.push(event);
  return events;
}

// Only this test's events: a node also writes system events of its own at each start.
const summary = (events: ResolvedEvent[]) =>
  events
    .filter((e) => e.event!.streamId.startsWith('chunked-'))
    .map((e) => ({
      stream: e.event!.streamId,
      revision: e.event!.revision,
      id: e.event!.id,
      data: e.event!.data,
      position: e.event!.position?.commit,
    }));

describe('a log in chunk files read through a small cache, through the official client', () => {
  let dataDir: string;
  const lines: string[] = [];
  // start() hands its options on to EventStore.open, the store's tuning included.
  const startServer = () => {
    const options: Parameters<typeof start>[0] & Parameters<typeof EventStore.open>[0] = {
      port: 0,
      dataDir,
      chunkSize: CHUNK_SIZE,
      cacheSize: CACHE_SIZE,
      log: (line) => lines.push(line),
    };
    return start(options);
  };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'es-chunks-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves every event across chunk roll-overs, evicted from the cache or not, before and after restarts', async () => {
    let server = await startServer();
    let client = EventStoreDBClient.connectionString(server.connectionString);
    let written: ResolvedEvent[];
    try {
      for (let a = 0; a < 60; a++) {
        await client.appendToStream(
          `chunked-${a % 4}`,
          Array.from({ length: 1 + (a % 3) }, (_, i) =>
            jsonEvent({ type: 'Chunked', data: { a, i, pad: 'p'.repeat(50 + ((a * 31) % 300)) } }),
          ),
        );
      }
      written = await collect(client.readAll({ fromPosition: START }));
      const positions = written.map((e) => e.event!.position!.commit);
      for (let k = 1; k < positions.length; k++)
        expect(positions[k]).toBeGreaterThan(positions[k - 1]);
      // Backwards and per-stream reads go through the same small cache.
      const backwards = await collect(client.readAll({ fromPosition: END, direction: BACKWARDS }));
      expect(summary(backwards.reverse())).toEqual(summary(written));
      const stream = await collect(client.readStream('chunked-2'));
      expect(summary(stream)).toEqual(
        summary(written.filter((e) => e.event!.streamId === 'chunked-2')),
      );
    } finally {
      await client.dispose();
      await server.stop();
    }
    const chunks = readdirSync(dataDir).filter((f) => /^events.*\.log$/.test(f));
    expect(chunks.length).toBeGreaterThan(3);
    // Every sealed chunk has its index checkpoint; the last one is scanned at each start.
    expect(readdirSync(dataDir).filter((f) => f.endsWith('.idx'))).toHaveLength(chunks.length - 1);

    // A restart reads the sealed chunks' index checkpoints; a damaged one is rebuilt.
    const checkpoint = join(dataDir, 'events.log.idx');
    const bytes = readFileSync(checkpoint);
    bytes[40] ^= 0xff;
    writeFileSync(checkpoint, bytes);
    lines.length = 0;
    server = await startServer();
    client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      expect(lines.join('\n')).toContain(`${checkpoint} is not usable (checksum mismatch)`);
      expect(lines.join('\n')).toMatch(
        new RegExp(
          `${chunks.length} chunk\\(s\\); \\d+ event\\(s\\) of ${chunks.length - 2} chunk\\(s\\) read`,
        ),
      );
      expect(summary(await collect(client.readAll({ fromPosition: START })))).toEqual(
        summary(written),
      );
      const result = await client.appendToStream(
        'chunked-0',
        jsonEvent({ type: 'Chunked', data: { after: 'restart' } }),
      );
      expect(result.nextExpectedRevision).toBe(
        BigInt(written.filter((e) => e.event!.streamId === 'chunked-0').length),
      );
      expect(result.position!.commit).toBeGreaterThan(written.at(-1)!.event!.position!.commit);
    } finally {
      await client.dispose();
      await server.stop();
    }
  });
});
