import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Collection, Db, UpdateFilter } from 'mongodb';
import type { MongoCustomerKeyStore } from './customer-key.store';

export const KEY_HOLDERS_COLLECTION = 'key_holders';
export const KEY_ERASURES_COLLECTION = 'key_erasures';

/** A process that may cache customer keys, with the start of its last completed poll. */
export interface KeyHolderDocument {
  _id: string;
  host: string;
  pid: number;
  startedAt: Date;
  heartbeatAt: Date;
}

/** One erasure: which key was destroyed, when, by whom, which processes have dropped it since. */
export interface KeyErasureDocument<C = Record<string, unknown>> {
  _id: string;
  customerId: string;
  at: Date;
  by: string;
  acks: string[];
  certificate?: C;
}

export interface KeyErasureWatchOptions {
  /** How often each process looks for new erasures and renews its heartbeat. */
  pollMs?: number;
  /** Cached keys are used only this long after the start of the last completed poll; later, MongoDB decides. */
  trustMs?: number;
  /** A holder whose heartbeat is older than this is taken as stopped: it no longer trusts its cache by then. */
  deadAfterMs?: number;
  /** How long an erasure waits for the live holders to confirm. */
  confirmWithinMs?: number;
  /** Called with the customers whose keys were dropped (e.g. to forget cached stream state). */
  onErased?: (customerIds: readonly string[]) => void;
}

export interface ErasureConfirmation {
  erasureId: string;
  at: Date;
  /** Processes that dropped the key (this one included). */
  confirmed: string[];
  /** Processes that were registered but stopped heart-beating: their cache had expired before the answer. */
  presumedStopped: string[];
  waitedMs: number;
}

/** Some process that is still alive did not confirm in time that it dropped the key. Maps to HTTP 503. */
export class ErasureUnconfirmedError extends Error {
  readonly code = 'ERASURE_UNCONFIRMED';
  constructor(
    readonly erasureId: string,
    readonly pending: readonly string[],
  ) {
    super(
      `the key is destroyed, but ${pending.length} process(es) did not confirm dropping their cached copy; ` +
        'erase again to wait for them',
    );
    this.name = 'ErasureUnconfirmedError';
  }
  get details(): Record<string, unknown> {
    return { erasureId: this.erasureId, pending: this.pending };
  }
}

// Any clock difference between hosts smaller than this cannot make a holder miss an erasure.
const CLOCK_SLACK_MS = 60_000;

/**
 * Makes every process drop an erased customer's key before the erasure is answered. Each process registers in
 * `key_holders` and polls `key_erasures` every `pollMs`: it wipes the keys named there, acknowledges each erasure
 * and renews its heartbeat. Its key cache is trusted only for `trustMs` after the start of its last completed poll,
 * so a process that stops polling (paused, cut off from MongoDB) falls back to MongoDB, where the key is a
 * tombstone. An erasure waits until every holder with a fresh heartbeat has acknowledged it; a holder whose
 * heartbeat is older than `deadAfterMs` (> trustMs) already distrusts its cache, so it need not be waited for.
 */
export class KeyErasureWatch<C = Record<string, unknown>> {
  readonly holderId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly holders: Collection<KeyHolderDocument>;
  private readonly erasures: Collection<KeyErasureDocument<C>>;
  private readonly pollMs: number;
  private readonly trustMs: number;
  private readonly deadAfterMs: number;
  private readonly confirmWithinMs: number;
  private readonly startedAt = new Date();
  private trustedSince = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  private readonly listeners: Array<(customerIds: readonly string[]) => void> = [];

  constructor(
    db: Db,
    private readonly keys: MongoCustomerKeyStore,
    private readonly options: KeyErasureWatchOptions = {},
  ) {
    this.holders = db.collection<KeyHolderDocument>(KEY_HOLDERS_COLLECTION);
    this.erasures = db.collection<KeyErasureDocument<C>>(KEY_ERASURES_COLLECTION);
    this.pollMs = options.pollMs ?? 150;
    this.trustMs = options.trustMs ?? 1000;
    this.deadAfterMs = options.deadAfterMs ?? 2500;
    this.confirmWithinMs = options.confirmWithinMs ?? 5000;
  }

  /** Also calls `listener` with the customers whose keys this process drops (after `onErased`). */
  onErased(listener: (customerIds: readonly string[]) => void): void {
    this.listeners.push(listener);
  }

  /** Registers this process and starts polling; the key cache is trusted from the first completed poll on. */
  async start(): Promise<void> {
    await Promise.all([
      this.erasures.createIndexes([{ key: { at: 1 } }, { key: { customerId: 1, at: -1 } }]),
      // Holders of crashed processes disappear on their own.
      this.holders.createIndex({ heartbeatAt: 1 }, { expireAfterSeconds: 3600 }),
    ]);
    this.keys.trustCacheWhile(() => Date.now() - this.trustedSince < this.trustMs);
    await this.poll();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling?.catch(() => undefined);
    // Erasures need not wait for a process that is gone.
    await this.holders.deleteOne({ _id: this.holderId }).catch(() => undefined);
  }

  /**
   * After the key is destroyed: records the erasure, then waits until every live holder has dropped its copy.
   * Throws ErasureUnconfirmedError when a live holder has not confirmed within `confirmWithinMs`.
   */
  async confirm(customerId: string, by: string): Promise<ErasureConfirmation> {
    this.dropped([customerId]);
    const started = Date.now();
    const erasureId = randomUUID();
    const at = new Date(started);
    await this.erasures.insertOne(
      { _id: erasureId, customerId, at, by, acks: [this.holderId] },
      { writeConcern: { w: 'majority', journal: true } },
    );
    const seenLive = new Set<string>();
    let pending: string[] = [];
    for (;;) {
      try {
        const [erasure, live] = await Promise.all([
          this.erasures.findOne({ _id: erasureId }, { projection: { acks: 1 } }),
          this.holders
            .find({ heartbeatAt: { $gte: new Date(Date.now() - this.deadAfterMs) } })
            .project<{ _id: string }>({ _id: 1 })
            .toArray(),
        ]);
        const acks = new Set(erasure?.acks ?? []);
        for (const holder of live) seenLive.add(holder._id);
        pending = live.map((holder) => holder._id).filter((id) => !acks.has(id));
        if (pending.length === 0) {
          return {
            erasureId,
            at,
            confirmed: [...acks],
            presumedStopped: [...seenLive].filter((id) => !acks.has(id)),
            waitedMs: Date.now() - started,
          };
        }
      } catch {
        // MongoDB not reachable for a moment: keep trying until the deadline.
      }
      if (Date.now() - started > this.confirmWithinMs) {
        throw new ErasureUnconfirmedError(erasureId, pending);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(20, this.pollMs / 3)));
    }
  }

  /** Keeps the erasure certificate beside the erasure record. */
  async recordCertificate(erasureId: string, certificate: C): Promise<void> {
    await this.erasures.updateOne(
      { _id: erasureId },
      { $set: { certificate } as Partial<KeyErasureDocument<C>> },
      { writeConcern: { w: 'majority', journal: true } },
    );
  }

  /** The latest certificate issued for a customer, if any. */
  async certificateOf(customerId: string): Promise<C | undefined> {
    const found = await this.erasures
      .find({ customerId, certificate: { $exists: true } })
      .sort({ at: -1 })
      .limit(1)
      .toArray();
    return found[0]?.certificate;
  }

  private dropped(customerIds: readonly string[]): void {
    this.keys.forget(customerIds);
    this.options.onErased?.(customerIds);
    for (const listener of this.listeners) listener(customerIds);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll()
        .catch(() => undefined)
        .finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const started = Date.now();
    // Erasures since the last completed poll (since the start, at first), with room for clock differences.
    const since = this.trustedSince === -Infinity ? this.startedAt.getTime() : this.trustedSince;
    const fresh = await this.erasures
      .find({
        at: { $gte: new Date(since - CLOCK_SLACK_MS) },
        acks: { $ne: this.holderId },
      })
      .project<{ _id: string; customerId: string }>({ customerId: 1 })
      .toArray();
    if (fresh.length > 0) {
      const ids = [...new Set(fresh.map((erasure) => erasure.customerId))];
      this.dropped(ids);
      await this.erasures.updateMany({ _id: { $in: fresh.map((erasure) => erasure._id) } }, {
        $addToSet: { acks: this.holderId },
      } as UpdateFilter<KeyErasureDocument<C>>);
    }
    await this.holders.updateOne(
      { _id: this.holderId },
      {
        $set: { heartbeatAt: new Date(started) },
        $setOnInsert: { host: hostname(), pid: process.pid, startedAt: this.startedAt },
      },
      { upsert: true },
    );
    this.trustedSince = started;
  }
}
