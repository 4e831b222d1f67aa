import { randomBytes } from 'node:crypto';
import type { CustomerKeyStore } from '@app/event-store';

/**
 * Per-entity keys in a Map, for suites about the event store rather than about where keys live (the MongoDB key
 * store has its own). A destroyed key stays as null, as an erased customer's does.
 */
export class MemoryKeyStore implements CustomerKeyStore {
  readonly keys = new Map<string, Buffer | null>();

  async obtain(ids: readonly string[]) {
    for (const id of ids) if (!this.keys.has(id)) this.keys.set(id, randomBytes(32));
    return this.lookup(ids);
  }

  async lookup(ids: readonly string[]) {
    return new Map(
      ids.filter((id) => this.keys.has(id)).map((id) => [id, this.keys.get(id) ?? null]),
    );
  }

  async destroy(id: string) {
    this.keys.set(id, null);
  }
}
