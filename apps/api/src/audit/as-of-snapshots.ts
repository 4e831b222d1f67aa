import { LRUCache } from 'lru-cache';
import type { CustomerState } from '@app/domain';
import type { ProfileDocument } from '@app/read-models';

/**
 * A customer's stream folded up to `revision` with nothing left out: every event up to it was recorded at or before
 * `recordedUntil` and took effect at or before `occurredUntil`. So any as-of query with `knownAt >= recordedUntil`
 * and `at >= occurredUntil` keeps all of those events and may start from here instead of the stream's start: the
 * events up to `revision` never change (the stream is append-only), and both bounds only grow along the stream.
 */
export interface AsOfSnapshot {
  revision: number;
  recordedUntil: number;
  occurredUntil: number;
  /** Customer events folded (events of other types are skipped and not counted). */
  eventsApplied: number;
  /** The decider's state: immutable, shared safely between queries. */
  state: CustomerState;
  /** The profile fold before its last step; copied by whoever resumes from it. */
  profile: ProfileDocument;
}

/**
 * Folded states of the customers auditors looked at most recently, kept in this process, so an as-of query (the
 * dashboard's slider asks one per step) reads only what was appended after the newest snapshot it may start from.
 * The cache holds sealed payloads only (personal fields are opened per query, with the key as it is then).
 */
export class AsOfSnapshots {
  private readonly byCustomer: LRUCache<string, AsOfSnapshot[]>;
  /** A snapshot is taken every this many revisions, and at the end of every fold that left nothing out. */
  readonly every: number;

  constructor(options: { customers?: number; every?: number } = {}) {
    this.byCustomer = new LRUCache({ max: options.customers ?? 1000 });
    this.every = options.every ?? 1000;
  }

  /** The newest snapshot a query for `at` (business time) as known at `knownAt` may start from. */
  usable(customerId: string, at: number, knownAt: number): AsOfSnapshot | undefined {
    const snapshots = this.byCustomer.get(customerId) ?? [];
    let best: AsOfSnapshot | undefined;
    for (const snapshot of snapshots) {
      if (snapshot.occurredUntil <= at && snapshot.recordedUntil <= knownAt) best = snapshot;
      else break; // Both bounds grow along the stream: no later snapshot qualifies either.
    }
    return best;
  }

  /** Keeps a snapshot; one at a revision already kept is not kept twice. */
  keep(customerId: string, snapshot: AsOfSnapshot): void {
    const snapshots = this.byCustomer.get(customerId) ?? [];
    if (snapshots.some((kept) => kept.revision === snapshot.revision)) return;
    // The newest one taken at the end of a fold (between the regular ones) is replaced by later ones.
    const last = snapshots.at(-1);
    const kept =
      last && (last.revision + 1) % this.every !== 0 && last.revision < snapshot.revision
        ? snapshots.slice(0, -1)
        : snapshots;
    const next = [...kept, snapshot].sort((a, b) => a.revision - b.revision);
    this.byCustomer.set(customerId, next);
  }

  forget(customerId: string): void {
    this.byCustomer.delete(customerId);
  }
}
