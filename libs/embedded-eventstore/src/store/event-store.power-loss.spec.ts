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
async function recordWorkload(fs: PowerLossFileSystem): Promise<Acknowledged[]> {
  const store = await EventStore.open({ dataDir: DATA_DIR, fs });
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
        const lines: string[] = [];
        const after = fs.crashAt(at, random, tear);
        const store = await EventStore.open({
          dataDir: DATA_DIR,
          fs: after,
          log: (line) => lines.push(line),
        }).catch((error: Error) => {
          throw new Error(`crash point ${at} (seed ${seed}): recovery refused: ${error.message}`);
        });
        for (const ack of acknowledged.filter((a) => a.at <= at)) {
          const index = store.streamState(ack.stream)?.revisions[ack.revision];
          if (index === undefined || store.table.id(index) !== ack.id) {
            throw new Error(
              `crash point ${at} (seed ${seed}): acknowledged ${ack.stream}@${ack.revision} lost; ${lines.join(' | ')}`,
            );
          }
        }
        // The recovered log takes new appends.
        const result = await store.append('after-crash', 'any', [proposed(0)]);
        expect(result.kind).toBe('success');
        await store.close();
      }
    },
  );
});
