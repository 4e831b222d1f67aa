import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { PERSONAL_FIELDS } from '@app/domain';
import { isEncrypted } from '@app/event-store';
import type { AsOfSnapshot, AsOfSnapshotStore } from '@app/read-models';

export type { AsOfSnapshot } from '@app/read-models';

/** Where a process keeps its snapshots beyond its own memory, and the fold version it stamps on them. */
export interface PersistedSnapshots {
  store: AsOfSnapshotStore;
  /** asOfFoldVersion(rules): snapshots of another version are not resumed from. */
  foldVersion: string;
}

/** Writes waiting at most; beyond that new snapshots stay in memory only (MongoDB slow or away). */
const MAX_QUEUED_WRITES = 64;

/**
 * Folded states of the customers auditors looked at most recently, kept in this process, so an as-of query (the
 * dashboard's slider asks one per step) reads only what was appended after the newest snapshot it may start from.
 * With `persisted`, the snapshots are also written to MongoDB behind the answer (a failure is logged, never
 * thrown) and looked up there when memory has none a query may use: a new process, or another replica, then resumes
 * the fold too. Memory and MongoDB hold sealed payloads only (personal fields are opened per query, with the key as
 * it is then); a snapshot holding anything personal in clear (an event stored before sealing) stays in memory.
 */
export class AsOfSnapshots {
  private readonly byCustomer: LRUCache<string, AsOfSnapshot[]>;
  /** A snapshot is taken every this many revisions, and at the end of every fold that left nothing out. */
  private readonly every: number;
  private readonly persisted: PersistedSnapshots | undefined;
  private readonly logger = new Logger(AsOfSnapshots.name);
  /** forget() calls per customer (erasures, stale snapshots): a write queued or under way before one is undone. */
  private readonly erasures = new Map<string, number>();
  private writing: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Whether the last MongoDB call failed: only the first failure of a run of them is logged. */
  private failing = false;

  constructor(
    options: { customers?: number; every?: number; persisted?: PersistedSnapshots } = {},
  ) {
    this.byCustomer = new LRUCache({ max: options.customers ?? 1000 });
    this.every = options.every ?? 1000;
    this.persisted = options.persisted;
  }

  /** The newest snapshot in memory a query for `at` (business time) as known at `knownAt` may start from. */
  usable(customerId: string, at: number, knownAt: number): AsOfSnapshot | undefined {
    const snapshots = this.byCustomer.get(customerId) ?? [];
    let best: AsOfSnapshot | undefined;
    for (const snapshot of snapshots) {
      if (snapshot.occurredUntil <= at && snapshot.recordedUntil <= knownAt) best = snapshot;
      else break; // Both bounds grow along the stream: no later snapshot qualifies either.
    }
    return best;
  }

  /** Where a query may start: the newest usable snapshot in memory, else in MongoDB (then kept in memory too). */
  async startFor(
    customerId: string,
    at: number,
    knownAt: number,
  ): Promise<AsOfSnapshot | undefined> {
    const inMemory = this.usable(customerId, at, knownAt);
    if (inMemory || !this.persisted) return inMemory;
    const { store, foldVersion } = this.persisted;
    const erasures = this.erasuresOf(customerId);
    try {
      const found = await store.newestUsable(customerId, foldVersion, at, knownAt);
      this.succeeded();
      if (found && this.erasuresOf(customerId) === erasures) this.remember(customerId, found);
      return found;
    } catch (error) {
      this.failed('reading as-of snapshots from MongoDB', error);
      return undefined;
    }
  }

  /**
   * Keeps a snapshot in memory (one at a revision already kept is not kept twice) and, when `persist` says the
   * customer's key is not destroyed, queues it for MongoDB.
   */
  keep(customerId: string, snapshot: AsOfSnapshot, options: { persist?: boolean } = {}): void {
    if (!this.remember(customerId, snapshot)) return;
    if (options.persist && snapshot.eventsApplied > 0 && holdsOnlySealed(snapshot)) {
      this.queueWrite(customerId, snapshot);
    }
  }

  /**
   * Drops the customer's snapshots (erasure) from memory and from MongoDB, and undoes any write of them still queued
   * or under way (it deletes again once done). Throws when MongoDB could not delete them.
   */
  async forget(customerId: string): Promise<void> {
    this.byCustomer.delete(customerId);
    this.erasures.set(customerId, this.erasuresOf(customerId) + 1);
    await this.persisted?.store.forget(customerId);
  }

  /** forget() without waiting (customers another process erased, snapshots of another stream), failures logged. */
  forgetLater(customerIds: readonly string[]): void {
    for (const customerId of customerIds) {
      this.forget(customerId).catch((error: unknown) =>
        this.failed('deleting as-of snapshots from MongoDB', error),
      );
    }
  }

  /** Waits for the queued writes (at shutdown), at most `withinMs`. */
  async flush(withinMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
    await Promise.race([this.writing, timeout]);
    clearTimeout(timer);
  }

  private remember(customerId: string, snapshot: AsOfSnapshot): boolean {
    const snapshots = this.byCustomer.get(customerId) ?? [];
    if (snapshots.some((kept) => kept.revision === snapshot.revision)) return false;
    // The newest one taken at the end of a fold (between the regular ones) is replaced by later ones.
    const last = snapshots.at(-1);
    const kept =
      last && !this.isRegular(last.revision) && last.revision < snapshot.revision
        ? snapshots.slice(0, -1)
        : snapshots;
    const next = [...kept, snapshot].sort((a, b) => a.revision - b.revision);
    this.byCustomer.set(customerId, next);
    return true;
  }

  /** Whether a fold takes a snapshot at `revision` (when nothing was left out up to it): every `every` revisions. */
  isRegular(revision: number): boolean {
    return (revision + 1) % this.every === 0;
  }

  private erasuresOf(customerId: string): number {
    return this.erasures.get(customerId) ?? 0;
  }

  // One write at a time, after the answer: encoding a long customer's state costs CPU that a query is not kept
  // waiting for, and a burst of folds queues instead of opening a write each.
  private queueWrite(customerId: string, snapshot: AsOfSnapshot): void {
    const persisted = this.persisted;
    if (!persisted || this.queued >= MAX_QUEUED_WRITES) return;
    const erasures = this.erasuresOf(customerId);
    const erased = () => this.erasuresOf(customerId) !== erasures;
    this.queued += 1;
    this.writing = this.writing.then(async () => {
      this.queued -= 1;
      if (erased()) return;
      try {
        const { store, foldVersion } = persisted;
        const final = !this.isRegular(snapshot.revision);
        if ((await store.save(customerId, foldVersion, snapshot, { final })) === 'too-large') {
          this.logger.warn(`as-of snapshot of ${customerId} too large for MongoDB: kept in memory`);
        }
        // Erased while it was written: the erasure's own deletion may have come first.
        if (erased()) await store.forget(customerId);
        this.succeeded();
      } catch (error) {
        this.failed('writing an as-of snapshot to MongoDB', error);
      }
    });
  }

  private succeeded(): void {
    if (this.failing) this.logger.log('as-of snapshots: MongoDB answers again');
    this.failing = false;
  }

  private failed(what: string, error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.warn(
      `${what} failed (${reason}); answers go on from the stream, not logged again until it works`,
    );
  }
}

/** Whether every personal value the snapshot holds is sealed: the state's profile and the profile document's. */
function holdsOnlySealed({ state, profile }: AsOfSnapshot): boolean {
  const inState =
    'profile' in state
      ? PERSONAL_FIELDS.CustomerRegistered.map(
          (field) => (state.profile as Record<string, unknown>)[field],
        )
      : [];
  const inProfile = Object.values(profile.personal).map((field) => field?.sealed);
  return [...inState, ...inProfile].every((value) => value === undefined || isEncrypted(value));
}
