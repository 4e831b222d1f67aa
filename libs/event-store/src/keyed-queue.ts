/**
 * Runs work for one key after the work already queued for that key, whatever its outcome; work for other keys runs
 * freely. A key's entry is dropped once its last work has settled, so the map holds only keys with work in flight.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** How many keys have work queued or running. */
  get size(): number {
    return this.tails.size;
  }

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, settled);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    }
  }
}
