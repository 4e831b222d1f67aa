import { randomUUID } from 'node:crypto';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DamagedFileError } from '@app/embedded-storage';
import { EventStore, type EventStoreOptions, type ProposedEvent } from './event-store';

// Chunk files, index checkpoints and the read cache, on the store itself (what the client sees
// of them is in test/chunks.int-spec.ts).

const CHUNK_SIZE = 4096;

function proposed(n: number): ProposedEvent {
  return {
    id: randomUUID(),
    type: n % 5 === 0 ? 'Rare' : 'Happened',
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify({ n, pad: 'z'.repeat((n * 13) % 200) })),
    metadata: Buffer.from(JSON.stringify({ n })),
  };
}

async function fill(store: EventStore, appends: number): Promise<void> {
  let n = 0;
  for (let a = 0; a < appends; a++) {
    const events = Array.from({ length: 1 + (a % 4) }, () => proposed(n++));
    const result = await store.append(`stream-${a % 5}`, 'any', events);
    expect(result.kind).toBe('success');
  }
}

/** Every event's encoded bytes, in log order. */
function everyRecorded(store: EventStore): string[] {
  return Array.from({ length: store.table.length }, (_, i) =>
    store.table.recorded(i).toString('hex'),
  );
}

/** How many events `fill` gave stream `s` (appends cycle over 5 streams, 1 + a % 4 events). */
function revisionsOf(_total: number, s: number): number {
  let count = 0;
  for (let a = s; a < 60; a += 5) count += 1 + (a % 4);
  return count;
}

/** A log of several chunks, closed: every event's bytes and the number of chunk files. */
async function filledLog(
  options: EventStoreOptions,
): Promise<{ before: string[]; chunks: number }> {
  const store = await EventStore.open(options);
  await fill(store, 60);
  const before = everyRecorded(store);
  await store.close();
  return { before, chunks: chunkFiles(options.dataDir!).length };
}

const chunkFiles = (dir: string) => readdirSync(dir).filter((f) => /^events.*\.log$/.test(f));
const indexFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.idx'));

describe('EventStore chunk files and index checkpoints', () => {
  let dir: string;
  let lines: string[];
  let options: EventStoreOptions;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'event-store-chunks-'));
    lines = [];
    options = { dataDir: dir, chunkSize: CHUNK_SIZE, log: (line) => lines.push(line) };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rolls the log into chunk files of at most the chunk size, positions growing on across them', async () => {
    const store = await EventStore.open(options);
    await fill(store, 60);
    const positions = Array.from(store.table.position.subarray(0, store.table.length));
    await store.close();
    const files = chunkFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files)
      expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(CHUNK_SIZE);
    // A chunk's name is the log offset it begins at: the chunks tile the log without gaps.
    const bases = files.map((f) => (f === 'events.log' ? 0 : parseInt(f.slice(7, 19), 16)));
    const sorted = files
      .map((file, k) => ({ base: bases[k], size: statSync(join(dir, file)).size }))
      .sort((a, b) => a.base - b.base);
    for (let k = 1; k < sorted.length; k++)
      expect(sorted[k].base).toBe(sorted[k - 1].base + sorted[k - 1].size);
    for (let i = 1; i < positions.length; i++)
      expect(positions[i]).toBeGreaterThan(positions[i - 1]);
    // The last event lives in the last chunk: its position is past that chunk's first offset.
    expect(positions.at(-1)).toBeGreaterThanOrEqual(sorted.at(-1)!.base);
  });

  it('a restart loads sealed chunks from their index checkpoints and scans only the last chunk', async () => {
    const { before, chunks } = await filledLog(options);
    expect(indexFiles(dir)).toHaveLength(chunks - 1);
    const reopened = await EventStore.open(options);
    expect(reopened.recovery).toMatchObject({ chunks, chunksFromIndex: chunks - 1 });
    expect(reopened.recovery!.events).toBeGreaterThan(0);
    expect(reopened.recovery!.events).toBeLessThan(before.length / 2);
    expect(reopened.recovery!.events + reopened.recovery!.eventsFromIndex!).toBe(before.length);
    expect(everyRecorded(reopened)).toEqual(before);
    // Streams and their revisions come back as well: the next append continues each stream.
    const result = await reopened.append('stream-1', 'any', [proposed(999)]);
    expect(result).toMatchObject({ kind: 'success', revision: revisionsOf(before.length, 1) });
    await reopened.close();
  });

  it('a damaged index checkpoint is never trusted: the chunk is scanned and the checkpoint rewritten', async () => {
    const { before, chunks } = await filledLog(options);
    const damaged = join(dir, 'events.log.idx');
    const bytes = readFileSync(damaged);
    bytes[bytes.length - 20] ^= 0x40;
    writeFileSync(damaged, bytes);

    const reopened = await EventStore.open(options);
    expect(lines.join('\n')).toContain(
      `index checkpoint ${damaged} is not usable (checksum mismatch)`,
    );
    expect(reopened.recovery).toMatchObject({ chunksFromIndex: chunks - 2 });
    expect(everyRecorded(reopened)).toEqual(before);
    await reopened.close();
    const third = await EventStore.open(options);
    expect(third.recovery).toMatchObject({ chunksFromIndex: chunks - 1 });
    expect(everyRecorded(third)).toEqual(before);
    await third.close();
  });

  it('an index checkpoint that verifies but belongs to another chunk is rebuilt, not loaded', async () => {
    const { before } = await filledLog(options);
    const [first, second] = indexFiles(dir).sort();
    copyFileSync(join(dir, first), join(dir, second));
    const reopened = await EventStore.open(options);
    expect(lines.join('\n')).toMatch(/is not usable \(it is of the chunk at \d+\)/);
    expect(everyRecorded(reopened)).toEqual(before);
    await reopened.close();
  });

  it('a sealed chunk with a cut tail refuses to start (only the last chunk can be torn)', async () => {
    const store = await EventStore.open(options);
    await fill(store, 60);
    await store.close();
    const sealed = join(dir, 'events.log');
    const bytes = readFileSync(sealed);
    writeFileSync(sealed, bytes.subarray(0, bytes.length - 5));
    rmSync(`${sealed}.idx`);
    await expect(EventStore.open(options)).rejects.toThrow(
      /ends at log offset .* refusing to start/,
    );
  });

  it('damage inside a sealed chunk refuses to start, and --repair keeps every frame that verifies', async () => {
    const store = await EventStore.open(options);
    await fill(store, 60);
    const count = store.table.length;
    await store.close();
    const sealed = join(dir, 'events.log');
    const bytes = readFileSync(sealed);
    bytes[100] ^= 0x01;
    writeFileSync(sealed, bytes);
    rmSync(`${sealed}.idx`);
    const refused = await EventStore.open(options).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DamagedFileError);

    const repaired = await EventStore.open({ ...options, repair: true });
    expect(repaired.repair).toMatchObject({ file: sealed });
    expect(repaired.table.length).toBeLessThan(count);
    // Everything left reads back from the chunks.
    expect(everyRecorded(repaired)).toHaveLength(repaired.table.length);
    const result = await repaired.append('after-repair', 'any', [proposed(1)]);
    expect(result).toMatchObject({ kind: 'success' });
    await repaired.close();
    // Repair dropped the checkpoints; the start after it wrote them again from the chunks.
    expect(indexFiles(dir).length).toBe(chunkFiles(dir).length - 1);
  });

  it('reads of events evicted from a small cache return the bytes they had when written', async () => {
    const store = await EventStore.open({ ...options, cacheSize: 2048 });
    const written: string[] = [];
    let n = 0;
    for (let a = 0; a < 40; a++) {
      const events = Array.from({ length: 1 + (a % 3) }, () => proposed(n++));
      await store.append(`s-${a % 3}`, 'any', events);
      for (let i = written.length; i < store.table.length; i++)
        written.push(store.table.recorded(i).toString('hex'));
    }
    const misses = store.cacheUsage()!.misses;
    const forwards = everyRecorded(store);
    const backwards = Array.from(
      { length: store.table.length },
      (_, k) => store.table.length - 1 - k,
    )
      .map((i) => store.table.recorded(i).toString('hex'))
      .reverse();
    // The cache holds a few frames at most: nearly every read above went to the chunk files.
    expect(store.cacheUsage()!.misses - misses).toBeGreaterThan(store.table.length / 2);
    expect(store.cacheUsage()!.bytes).toBeLessThanOrEqual(2048);
    expect(forwards).toEqual(written);
    expect(backwards).toEqual(written);
    await store.close();
  });

  it('an event read back from the log has the bytes a mem-mode store encodes for it, tombstones too', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    try {
      const mem = await EventStore.open({ mem: true });
      const file = await EventStore.open({ ...options, cacheSize: 0 });
      let n = 0;
      const batches = Array.from({ length: 12 }, (_, a) =>
        Array.from({ length: 1 + (a % 3) }, () => proposed(n++)),
      );
      for (const store of [mem, file]) {
        for (const [a, events] of batches.entries()) {
          await store.append(`same-${a % 2}`, 'any', events);
        }
        await store.deleteStream('same-0', 'any');
        await store.tombstoneStream('same-1', 'any');
      }
      expect(file.table.length).toBe(mem.table.length);
      const ids = (store: EventStore) =>
        Array.from({ length: store.table.length }, (_, i) => store.table.id(i));
      // Same events (system events get ids of their own, so compare those by their other bytes).
      const userEvents = ids(mem).filter((id) => ids(file).includes(id)).length;
      expect(userEvents).toBeGreaterThan(20);
      for (let i = 0; i < mem.table.length; i++) {
        const expected = mem.table.recorded(i);
        const actual = file.table.recorded(i);
        if (mem.table.id(i) === file.table.id(i)) expect(actual).toEqual(expected);
        else expect(actual.subarray(40)).toEqual(expected.subarray(40));
      }
      expect(file.cacheUsage()!.misses).toBeGreaterThanOrEqual(file.table.length / 3);
      await mem.close();
      await file.close();
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('damage in the last chunk refuses the start even when the sealed chunks load from checkpoints', async () => {
    await filledLog(options);
    const last = chunkFiles(dir)
      .filter((f) => f !== 'events.log')
      .sort()
      .at(-1)!;
    const bytes = readFileSync(join(dir, last));
    bytes[20] ^= 0x08;
    writeFileSync(join(dir, last), bytes);
    const refused = await EventStore.open(options).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DamagedFileError);
    expect((refused as Error).message).toContain(join(dir, last));
  });

  it('damage in a sealed chunk with a usable checkpoint is found when its frame is read: the read fails', async () => {
    const { before } = await filledLog(options);
    const sealed = join(dir, 'events.log');
    const bytes = readFileSync(sealed);
    bytes[60] ^= 0x08;
    writeFileSync(sealed, bytes);
    const store = await EventStore.open({ ...options, cacheSize: 0 });
    expect(() => store.table.recorded(0)).toThrow(/the frame at log offset 0 fails its checksum/);
    // Events of other frames still read.
    expect(store.table.recorded(before.length - 1).toString('hex')).toBe(before.at(-1));
    await store.close();
  });
});
