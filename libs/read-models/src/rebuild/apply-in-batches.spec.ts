import type { ProjectedEvent } from '../projection/projection';
import { applyInBatches } from './projection-rebuild';

/** Events 0..count-1 (only their revision matters here), recording how many the consumer has pulled. */
function source(count: number, log: { pulled: number; closed: boolean }) {
  return (async function* () {
    try {
      for (let revision = 0; revision < count; revision += 1) {
        log.pulled = revision + 1;
        yield { revision } as ProjectedEvent;
      }
    } finally {
      log.closed = true;
    }
  })();
}

describe(applyInBatches.name, () => {
  it('applies every event once, in order, in batches of the size asked for', async () => {
    const log = { pulled: 0, closed: false };
    const applied: number[][] = [];
    await applyInBatches(source(10, log), 4, async (batch) => {
      applied.push(batch.map((event) => event.revision));
    });
    expect(applied).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('reads up to `ahead` batches beyond the one being applied, and no further', async () => {
    const log = { pulled: 0, closed: false };
    const pulledWhileApplying: number[] = [];
    await applyInBatches(
      source(40, log),
      5,
      async () => {
        // Let the reads queued before this apply run as far as they may.
        await new Promise((resolve) => setImmediate(resolve));
        pulledWhileApplying.push(log.pulled);
      },
      2,
    );
    // While batch n (0-based) is applied, batches n+1 and n+2 have been read: 5 * (n + 3) events at most.
    expect(pulledWhileApplying.slice(0, 5)).toEqual([15, 20, 25, 30, 35]);
  });

  it('stops reading and closes the source when an apply fails', async () => {
    const log = { pulled: 0, closed: false };
    await expect(
      applyInBatches(source(100, log), 5, async (batch) => {
        if (batch[0].revision === 10) throw new Error('write failed');
      }),
    ).rejects.toThrow('write failed');
    expect(log.closed).toBe(true);
    expect(log.pulled).toBeLessThan(100);
  });
});
