import { KeyedQueue } from './keyed-queue';

/** A promise and the functions that settle it, for work the test finishes when it chooses. */
function deferred(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(KeyedQueue.name, () => {
  it('runs work of one key one after another, in the order it was queued', async () => {
    const sut = new KeyedQueue();
    const order: string[] = [];
    const first = deferred();
    const a = sut.run('k', async () => {
      order.push('a starts');
      await first.promise;
      order.push('a ends');
    });
    const b = sut.run('k', () => {
      order.push('b starts');
      return Promise.resolve();
    });
    await settle();
    expect(order).toEqual(['a starts']);
    first.resolve();
    await Promise.all([a, b]);
    expect(order).toEqual(['a starts', 'a ends', 'b starts']);
  });

  it('lets work of other keys run meanwhile', async () => {
    const sut = new KeyedQueue();
    const blocked = deferred();
    const slow = sut.run('a', () => blocked.promise);
    let other = false;
    await sut.run('b', () => {
      other = true;
      return Promise.resolve();
    });
    expect(other).toBe(true);
    expect(sut.size).toBe(1);
    blocked.resolve();
    await slow;
  });

  it('runs the next work after a failure, and gives each caller its own outcome', async () => {
    const sut = new KeyedQueue();
    const failing = sut.run('k', () => Promise.reject(new Error('boom')));
    const next = sut.run('k', () => Promise.resolve(42));
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });

  it('forgets a key once its last work has settled', async () => {
    const sut = new KeyedQueue();
    const gate = deferred();
    const a = sut.run('k', () => gate.promise);
    const b = sut.run('k', () => Promise.resolve());
    expect(sut.size).toBe(1);
    gate.resolve();
    await Promise.all([a, b]);
    expect(sut.size).toBe(0);
  });
});
