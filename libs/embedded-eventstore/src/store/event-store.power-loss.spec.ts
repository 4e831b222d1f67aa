import { randomUUID } from 'node:crypto';
import { PowerLossFileSystem, seededRandom, type TearMode } from '@app/embedded-storage';
import { EventStore, type ProposedEvent } from './event-store';

// Power loss, not kill -9: after a cut only what was fsync'd is on disk (plus, perhaps, part of
// the write in flight). Every append acknowledged before the cut must be there after recovery, and
// recovery must accept every state a cut can leave (a torn tail is cut, not called damage).

const DATA_DIR = '/data/eventstore';
const CRASH_POINTS = 200;
const STREAMS = 6;

function proposed(n: number): ProposedEvent {
  return {
    id: randomUUID(),
    type: 'Happened',
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify({ n, pad: 'x'.repeat((n * 37) % 700) })),
    metadata: Buffer.alloc(0),
  };
}

interface Acknowledged {
  stream: string;
  revision: number;
  id: string;
  /** Operations recorded when the client got the answer: any cut after this must keep it. */
  at: number;
}

/** Concurrent appends (so group commit batches frames into one write) and a tombstone. */
async function recordWorkload(
  fs: PowerLossFileSystem,
  chunkSize?: number,
): Promise<Acknowledged[]> {
  const store = await EventStore.open({ dataDir: DATA_DIR, fs, chunkSize });
  const acknowledged: Acknowledged[] = [];
  let n = 0;
  for (let round = 0; round < 12; round++) {
    await Promise.all(
      Array.from({ length: STREAMS }, async (_, s) => {
        const events = Array.from({ length: 1 + ((round + s) % 3) }, () => proposed(n++));
        const stream = `order-${s}`;
        const result = await store.append(stream, 'any', events);
        if (result.kind !== 'success') throw new Error(`append failed: ${result.kind}`);
        const first = result.revision! - events.length + 1;
        events.forEach((event, i) =>
          acknowledged.push({ stream, revision: first + i, id: event.id, at: fs.operationCount }),
        );
      }),
    );
  }
  await store.close();
  return acknowledged;
}

/** Opens what a cut left and checks every append acknowledged before operation `at`. */
async function recoverAndCheck(
  after: PowerLossFileSystem,
  acknowledged: Acknowledged[],
  at: number,
  label: string,
  chunkSize?: number,
): Promise<void> {
  const lines: string[] = [];
  const store = await EventStore.open({
    dataDir: DATA_DIR,
    fs: after,
    chunkSize,
    log: (line) => lines.push(line),
  }).catch((error: Error) => {
    throw new Error(`${label}: recovery refused: ${error.message}`);
  });
  for (const ack of acknowledged.filter((a) => a.at <= at)) {
    const index = store.streamState(ack.stream)?.revisions[ack.revision];
    // The index says the event is there, and its bytes read back from the log.
    if (
      index === undefined ||
      store.table.id(index) !== ack.id ||
      !store.table.recorded(index).includes(Buffer.from(ack.id, 'latin1'))
    ) {
      throw new Error(
        `${label}: acknowledged ${ack.stream}@${ack.revision} lost; ${lines.join(' | ')}`,
      );
    }
  }
  // The recovered log takes new appends.
  const result = await store.append('after-crash', 'any', [proposed(0)]);
  expect(result.kind).toBe('success');
  await store.close();
}

describe('EventStore after a power cut', () => {
  it.each<[TearMode, number]>([
    ['prefix', 1],
    ['zero-filled', 2],
  ])(
    'keeps every acknowledged append at %s-torn crash points, and starts (seed %i)',
    async (tear, seed) => {
      const fs = new PowerLossFileSystem();
      const acknowledged = await recordWorkload(fs);
      const random = seededRandom(seed);
      const total = fs.operationCount;
      for (let k = 0; k < CRASH_POINTS / 2; k++) {
        const at = Math.floor(random() * (total + 1));
        const after = fs.crashAt(at, random, tear);
        await recoverAndCheck(after, acknowledged, at, `crash point ${at} (seed ${seed})`);
      }
    },
  );

  // Chunks of 2 KiB: the workload rolls the log over many times, and each roll-over writes the
  // sealed chunk's index checkpoint (temp file, fsync, rename, folder fsync). A cut after every
  // single operation, so every step of both is cut at least once; each state is then opened
  // twice, the second time from the checkpoints the first start wrote.
  it.each<[TearMode, number]>([
    ['prefix', 3],
    ['zero-filled', 4],
  ])(
    'with small chunks, keeps every acknowledged append after a cut at any operation of chunk roll-over or index checkpointing (%s-torn, seed %i)',
    async (tear, seed) => {
      const chunkSize = 2048;
      const fs = new PowerLossFileSystem();
      const acknowledged = await recordWorkload(fs, chunkSize);
      const files = [...fs.files().keys()];
      expect(files.filter((f) => f.endsWith('.log')).length).toBeGreaterThan(5);
      expect(files.filter((f) => f.endsWith('.idx')).length).toBeGreaterThan(5);
      const random = seededRandom(seed);
      for (let at = 0; at <= fs.operationCount; at++) {
        const after = fs.crashAt(at, random, tear);
        const label = `crash point ${at} (${tear}, seed ${seed})`;
        await recoverAndCheck(after, acknowledged, at, label, chunkSize);
        await recoverAndCheck(after, acknowledged, at, `${label}, second start`, chunkSize);
      }
    },
  );
});
