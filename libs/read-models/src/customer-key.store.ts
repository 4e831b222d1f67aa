import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Binary, type Collection, type Db, MongoServerError } from 'mongodb';
import { isOnlyDuplicateKeys } from './mongo';
import { Rounds } from './rounds';

/** Mirrors CustomerKeyStore of @app/event-store; kept structural so this lib needs no event store import. */
export interface CustomerKeys {
  obtain(
    customerIds: readonly string[],
    options?: { sealed?: readonly string[] },
  ): Promise<Map<string, Buffer | null>>;
  lookup(customerIds: readonly string[]): Promise<Map<string, Buffer | null>>;
  destroy(customerId: string): Promise<void>;
}

interface KeyDocument {
  _id: string;
  key: Binary | null;
  createdAt: Date;
  destroyedAt?: Date;
}

export const CUSTOMER_KEYS_COLLECTION = 'customer_keys';

// What the cache holds for a customer whose key is destroyed: a cache entry cannot be null.
const DESTROYED = Symbol('destroyed key');
type CachedKey = Buffer | typeof DESTROYED;
const fromCache = (cached: CachedKey): Buffer | null => (cached === DESTROYED ? null : cached);

/** Customers per round trip at most (a batch of the API has up to 1 000). */
const ROUND_IDS = 1000;

/**
 * The customer's stream holds data sealed with a key that is no longer in MongoDB (not destroyed: a destroyed key
 * leaves a tombstone). Creating a new key would make every sealed field unreadable for good, so nothing is
 * created and nothing is stored; an operator must restore the key.
 */
export class CustomerKeyMissingError extends Error {
  readonly code = 'CUSTOMER_KEY_MISSING';
  constructor(readonly customerId: string) {
    super(
      `integrity: ${customerId} has sealed personal data but its key is missing from ${CUSTOMER_KEYS_COLLECTION}; ` +
        'no new key is created (it would leave the sealed data unreadable); restore the key',
    );
    this.name = 'CustomerKeyMissingError';
  }
  get details(): Record<string, unknown> {
    return { customerId: this.customerId };
  }
}

/**
 * Per-customer data keys in MongoDB. Creation is an upsert with $setOnInsert, so concurrent writers agree on one
 * key; the key is journaled before any event sealed with it is appended. Destroying a key (erasure) keeps the
 * document as a tombstone so no new key is ever made for that customer. Calls made in the same tick are
 * coalesced into one round trip, and so are calls made while one is in flight.
 */
export class MongoCustomerKeyStore implements CustomerKeys {
  private readonly collection: Collection<KeyDocument>;
  /** The keys of the customers used most recently. */
  private readonly cache: LRUCache<string, CachedKey>;
  /** Customers this process knows to be erased: a key loaded for one of them by a read in flight is not kept. */
  private readonly erased = new Set<string>();
  private cacheTrusted: () => boolean = () => true;
  // Look-ups, and creations, asked for while one is in flight go together in the next round trip.
  private readonly lookups = new Rounds<true, never>((ids) => this.loadNow(ids, false), ROUND_IDS);
  private readonly creations = new Rounds<true, never>((ids) => this.loadNow(ids, true), ROUND_IDS);

  constructor(db: Db, cacheSize = 100_000) {
    this.collection = db.collection<KeyDocument>(CUSTOMER_KEYS_COLLECTION);
    this.cache = new LRUCache({ max: cacheSize });
  }

  async obtain(
    customerIds: readonly string[],
    options: { sealed?: readonly string[] } = {},
  ): Promise<Map<string, Buffer | null>> {
    // The steady state of ingestion: one customer whose key this process holds (no round trip, nothing to create).
    if (customerIds.length === 1 && this.cacheTrusted()) {
      const [id] = customerIds;
      const cached = this.cached(id);
      if (cached !== undefined) return new Map([[id, fromCache(cached)]]);
    }
    const sealed = new Set(options.sealed ?? []);
    if (sealed.size === 0) return this.fetch(customerIds, true);
    // Keys of streams that hold sealed data are looked up, never created.
    const [existing, created] = await Promise.all([
      this.fetch(
        customerIds.filter((id) => sealed.has(id)),
        false,
      ),
      this.fetch(
        customerIds.filter((id) => !sealed.has(id)),
        true,
      ),
    ]);
    for (const id of sealed) if (!existing.has(id)) throw new CustomerKeyMissingError(id);
    return new Map([...existing, ...created]);
  }

  async lookup(customerIds: readonly string[]): Promise<Map<string, Buffer | null>> {
    return this.fetch(customerIds, false);
  }

  async destroy(customerId: string): Promise<void> {
    await this.collection.updateOne(
      { _id: customerId },
      { $set: { key: null, destroyedAt: new Date() }, $setOnInsert: { createdAt: new Date() } },
      { upsert: true, writeConcern: { w: 'majority', journal: true } },
    );
    this.forget([customerId]);
  }

  /**
   * Asks MongoDB to rewrite the keys' storage, so a destroyed key's bytes do not linger in journal or data files
   * (the embedded server then keeps no older journal or snapshot). Servers that refuse (no privilege, a storage
   * engine that cannot) say why; the key is destroyed either way.
   */
  async compactStorage(): Promise<{ compacted: boolean; detail?: string }> {
    try {
      await this.collection.db.command({ compact: CUSTOMER_KEYS_COLLECTION, force: true });
      return { compacted: true };
    } catch (error) {
      return { compacted: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * Drops the keys of erased customers (another process destroyed them): each cached key is wiped in place, so a
   * read in progress that holds it can open nothing more either.
   */
  forget(customerIds: readonly string[]): void {
    for (const id of customerIds) {
      this.erased.add(id);
      const cached = this.cache.get(id);
      if (cached !== DESTROYED) cached?.fill(0);
      this.cache.set(id, DESTROYED);
    }
  }

  /**
   * Makes cached keys usable only while `check` says the cache is current (an erasure watch that has polled
   * recently); otherwise every look-up goes to MongoDB, where a destroyed key is a tombstone.
   */
  trustCacheWhile(check: () => boolean): void {
    this.cacheTrusted = check;
  }

  /** What this process knows of a customer's key: erased, a cached key or tombstone, or nothing. */
  private cached(id: string): CachedKey | undefined {
    return this.erased.has(id) ? DESTROYED : this.cache.get(id);
  }

  private async fetch(
    customerIds: readonly string[],
    create: boolean,
  ): Promise<Map<string, Buffer | null>> {
    const trusted = this.cacheTrusted();
    const missing = customerIds.filter(
      (id) => !this.erased.has(id) && (!trusted || !this.cache.has(id)),
    );
    if (missing.length > 0) await this.load(missing, create);
    const result = new Map<string, Buffer | null>();
    for (const id of customerIds) {
      const cached = this.cached(id);
      if (cached !== undefined) result.set(id, fromCache(cached));
    }
    return result;
  }

  private async load(ids: string[], create: boolean): Promise<void> {
    await (create ? this.creations : this.lookups).add(ids.map((id) => [id, true]));
  }

  /** Reads (and with `create`, first creates) the keys of a round; they land in the cache. */
  private async loadNow(round: Map<string, true>, create: boolean): Promise<Map<string, never>> {
    const ids = [...round.keys()];
    let toRead = ids;
    if (create) {
      const now = new Date();
      const keys = ids.map(() => randomBytes(32));
      try {
        const result = await this.collection.bulkWrite(
          ids.map((id, index) => ({
            updateOne: {
              filter: { _id: id },
              update: { $setOnInsert: { key: new Binary(keys[index]), createdAt: now } },
              upsert: true,
            },
          })),
          { ordered: false, writeConcern: { w: 'majority', journal: true } },
        );
        // The keys this write inserted are the ones just generated: only the others need reading.
        const inserted = new Set(Object.keys(result.upsertedIds).map(Number));
        for (const index of inserted) this.remember(ids[index], keys[index]);
        toRead = ids.filter((_, index) => !inserted.has(index));
      } catch (error) {
        // A concurrent creator won the race for some ids: their key stands, read it below.
        if (!(error instanceof MongoServerError && isOnlyDuplicateKeys(error))) throw error;
      }
    }
    if (toRead.length > 0) {
      const found = await this.collection.find({ _id: { $in: toRead } }).toArray();
      for (const doc of found) {
        this.remember(doc._id, doc.key ? Buffer.from(doc.key.buffer) : null);
      }
    }
    return new Map<string, never>();
  }

  private remember(id: string, key: Buffer | null): void {
    if (this.erased.has(id)) return;
    const before = this.cache.get(id);
    if (before !== undefined && before !== DESTROYED && !key) before.fill(0);
    this.cache.set(id, key ?? DESTROYED);
  }
}
