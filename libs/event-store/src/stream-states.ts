import { LRUCache } from 'lru-cache';
import type { StreamReader } from './stream-reader';

/** A stream's state folded up to a revision, with what its next append needs to know. */
export interface StreamSnapshot<S> {
  state: S;
  /** The last revision folded; -1 before the first event. */
  revision: number;
  /** The chain hash of the stream's last event; undefined before the first event or after an unchained one. */
  chain?: string;
  /** The stream holds sealed personal data: its key must exist, never be created anew. */
  sealed?: boolean;
}

/** How a stream's events fold into its state: from libs/domain, through the decider definition. */
export interface StreamFold<E, S> {
  initialState: S;
  evolve(state: S, event: E): S;
  streamId(entityId: string): string;
}

/**
 * The folded state of the streams used most recently, each keyed by the revision it was folded to, so a stream is
 * read only from where this process last saw it. Reads refresh a stream's place in the cache as writes do.
 */
export class StreamStates<E, S> {
  private readonly cache: LRUCache<string, StreamSnapshot<S>>;

  constructor(
    private readonly reader: StreamReader,
    private readonly fold: StreamFold<E, S>,
    size: number,
  ) {
    this.cache = new LRUCache<string, StreamSnapshot<S>>({ max: size });
  }

  /** What this process last saw of the stream (possibly behind), or the initial state at revision -1. */
  lastSeen(entityId: string): StreamSnapshot<S> {
    return this.cache.get(entityId) ?? { state: this.fold.initialState, revision: -1 };
  }

  /** Folds what the stream holds after `from` (default: what this process last saw) and remembers the result. */
  async catchUp(
    entityId: string,
    from: StreamSnapshot<S> = this.lastSeen(entityId),
  ): Promise<StreamSnapshot<S>> {
    let { state, revision, chain, sealed } = from;
    for await (const record of this.records(entityId, revision + 1)) {
      if (record.event) {
        const { type, data, metadata } = record.event;
        // The domain folds payloads; the envelope stays with the stored event.
        state = this.fold.evolve(state, { type, data } as E);
        // The next append chains from the last event read; an unchained one starts again from the genesis.
        const link = metadata.chain;
        chain = typeof link === 'string' ? link : undefined;
        if (record.event.sealed) sealed = true;
      }
      // A record that is not an event (not JSON) still takes a revision.
      revision = record.revision;
    }
    const caughtUp = { state, revision, chain, sealed };
    if (revision >= 0) this.remember(entityId, caughtUp);
    return caughtUp;
  }

  /** Every record of the stream from `fromRevision`, personal fields opened with the entity's key, upcast. */
  records(entityId: string, fromRevision: number) {
    return this.reader.readStreamRecords(this.fold.streamId(entityId), {
      fromRevision,
      entityId,
      open: 'decrypt',
    });
  }

  remember(entityId: string, snapshot: StreamSnapshot<S>): void {
    this.cache.set(entityId, snapshot);
  }

  forget(entityId: string): void {
    this.cache.delete(entityId);
  }
}
