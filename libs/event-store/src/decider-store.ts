import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import {
  type AppendExpectedRevision,
  type EventStoreDBClient,
  jsonEvent,
  NO_STREAM,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { AppendLocator, type EventLocation } from './append-locator';
import { ConflictBudget } from './conflict-budget';
import {
  type BatchRequest,
  type DecidedEvent,
  type DecisionOutcome,
  decideBatch,
  type PendingEvent,
} from './decide-batch';
import { PersonalDataErasedError, RevisionMismatchError } from './errors';
import type { CommandContext } from './envelope';
import { chainGenesis } from './hash-chain';
import { forEachConcurrently, KeyedQueue } from './keyed-queue';
import type { CustomerKeyStore } from './personal-data';
import { sealAndChain } from './sealed-append';
import { type StoredEvent, StreamReader } from './stream-reader';
import { type StreamSnapshot, StreamStates } from './stream-states';

export interface DomainEvent {
  type: string;
  data: Record<string, unknown>;
}

/** What the store needs to know of a stream's decider: pure functions from libs/domain. */
export interface DeciderDefinition<C, E extends DomainEvent, S> {
  initialState: S;
  evolve(state: S, event: E): S;
  decide(command: C, state: S): E[];
  streamId(entityId: string): string;
  /** Paths of the personal values each event type may carry: what is sealed with the entity's key. */
  personalFields: Readonly<Record<string, readonly string[]>>;
  /** Whether an event holds a personal value, so that its append needs the entity's key (the domain decides). */
  carriesPersonalData(event: E): boolean;
  schemaVersion(type: string): number;
  upcast(type: string, schemaVersion: number, data: unknown): unknown;
  /** Business time of an event; `fallback` is the command's `now`. */
  occurredAt(event: E, fallback: string): string;
}

export interface DecisionRequest<C, E> extends BatchRequest<C, E> {
  context: CommandContext;
  /** Business time to use when the event itself names none. */
  now: string;
}

export interface DecisionResult<E, S> {
  outcomes: DecisionOutcome<E>[];
  /** Stream revision after the append; -1 for a stream that does not exist. */
  revision: number;
  /** Commit position of the append, or undefined when nothing was appended. */
  position: number | undefined;
  state: S;
}

export interface ExecuteOptions {
  /** If-Match: a stream at another revision is refused with RevisionMismatchError and nothing is retried. */
  expectedRevision?: number;
  retryConflicts?: boolean;
  /**
   * After an append made only of event ids the requests chose: whether another writer may have appended the same
   * ids (the same commands sent to another process). Only then is the append read back to tell it from an
   * idempotent re-send of theirs; without this hook it always is.
   */
  mayBeResent?(eventIds: readonly string[]): Promise<boolean>;
}

export interface DeciderStoreOptions {
  /**
   * Retries, with a short random pause, when another writer appended first (touchpoints do not depend on each
   * other); 0 returns the conflict at once.
   */
  conflictRetries?: number;
  cacheSize?: number;
  clock?: () => Date;
  /**
   * For benchmarks only, to measure what sealing personal data and chaining cost: `plaintext` stores personal
   * fields unencrypted, `unchained` leaves the chain out of the metadata. A constructor option and nothing else
   * (no configuration or environment variable reaches it), so production cannot turn either off by accident.
   */
  benchmarkBaseline?: { plaintext?: boolean; unchained?: boolean };
}

/**
 * Load–decide–append for one kind of stream, with the expected revision the load saw. Keeps each stream's folded
 * state, keyed by revision, so ingestion reads only what was appended since (by anyone) instead of whole streams.
 */
export class DeciderStore<C, E extends DomainEvent, S> {
  private readonly states: StreamStates<E, S>;
  private readonly queue = new KeyedQueue();
  /** Snapshots `prepare` just read, for the next decision on each of those streams to start from. */
  private readonly prepared: LRUCache<string, StreamSnapshot<S>>;
  private readonly locator: AppendLocator;
  private readonly conflictRetries: number;
  private readonly clock: () => Date;
  private readonly baseline: { plaintext: boolean; unchained: boolean };

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly decider: DeciderDefinition<C, E, S>,
    private readonly keys: CustomerKeyStore,
    options: DeciderStoreOptions = {},
  ) {
    this.conflictRetries = options.conflictRetries ?? 16;
    this.clock = options.clock ?? (() => new Date());
    this.baseline = {
      plaintext: options.benchmarkBaseline?.plaintext === true,
      unchained: options.benchmarkBaseline?.unchained === true,
    };
    const reader = new StreamReader(client, {
      upcast: (type, version, data) => decider.upcast(type, version, data),
      personalFields: decider.personalFields,
      keys,
    });
    this.states = new StreamStates(reader, decider, options.cacheSize ?? 50_000);
    this.locator = new AppendLocator(reader);
    this.prepared = new LRUCache({ max: PREPARED_STREAMS });
  }

  /** The stream's current state and revision (-1: no stream). */
  async load(entityId: string): Promise<{ state: S; revision: number }> {
    const { state, revision } = await this.states.catchUp(entityId);
    return { state, revision };
  }

  /**
   * Decides one command and appends its events. With `expectedRevision` (If-Match) a stream at another revision
   * is refused with RevisionMismatchError and nothing is retried.
   */
  async execute(
    entityId: string,
    request: DecisionRequest<C, E>,
    options: ExecuteOptions = {},
  ): Promise<{
    events: DecidedEvent<E>[];
    revision: number;
    position: number | undefined;
    state: S;
  }> {
    const result = await this.executeMany(entityId, [request], options);
    const [outcome] = result.outcomes;
    if (!outcome.ok) throw outcome.error;
    return {
      events: outcome.events,
      revision: result.revision,
      position: result.position,
      state: result.state,
    };
  }

  /**
   * Decides several commands for one stream in order, each against the state the previous ones left, and appends
   * all accepted events in one write. A rejected command stores nothing and does not stop the others.
   */
  async executeMany(
    entityId: string,
    requests: readonly DecisionRequest<C, E>[],
    options: ExecuteOptions = {},
  ): Promise<DecisionResult<E, S>> {
    // Requests for one stream in this process run one after another: concurrent duplicates then see each
    // other's events instead of racing, and conflicts are left to other processes.
    return this.queue.run(entityId, () => this.decideAndAppend(entityId, requests, options));
  }

  private async decideAndAppend(
    entityId: string,
    requests: readonly DecisionRequest<C, E>[],
    options: ExecuteOptions,
  ): Promise<DecisionResult<E, S>> {
    const streamId = this.decider.streamId(entityId);
    const conflicts = new ConflictBudget(
      streamId,
      options.retryConflicts === false ? 0 : this.conflictRetries,
    );
    // Optimistic concurrency without a read: decide against the state this process last saw (a prefix of the
    // stream, or nothing for a stream it never saw) and append expecting that revision. Only a refused append,
    // or a command refused against that state, makes us read what others appended and decide again.
    let snapshot = this.states.lastSeen(entityId);
    let current = false;
    // A snapshot `prepare` read for this decision is as current as one read below, unless a write since moved on.
    const prepared = this.prepared.get(entityId);
    if (prepared) {
      this.prepared.delete(entityId);
      if (prepared.revision === snapshot.revision) {
        snapshot = prepared;
        current = true;
      }
    }
    const readAhead = async () => {
      snapshot = await this.states.catchUp(entityId, snapshot);
      current = true;
    };
    for (;;) {
      if (
        options.expectedRevision !== undefined &&
        options.expectedRevision !== snapshot.revision
      ) {
        if (!current) {
          await readAhead();
          continue;
        }
        throw new RevisionMismatchError(streamId, options.expectedRevision, snapshot.revision);
      }
      const { outcomes, pending, state } = decideBatch(this.decider, snapshot, requests);
      // A refusal, or "nothing to do", decided on a state that may be behind is not trusted: read, decide again.
      if (!current && (pending.length === 0 || outcomes.some((outcome) => !outcome.ok))) {
        await readAhead();
        continue;
      }
      // Personal data for a stream this process never read: whether a key may be created depends on what the
      // stream holds, so read it now, and look its key up meanwhile, rather than learn it from a refused append.
      if (
        !current &&
        snapshot.revision < 0 &&
        !this.baseline.plaintext &&
        pending.some(({ event }) => this.decider.carriesPersonalData(event))
      ) {
        await Promise.all([readAhead(), this.keys.lookup([entityId])]);
        continue;
      }
      if (pending.length === 0) {
        return { outcomes, revision: snapshot.revision, position: undefined, state };
      }
      try {
        const appended = await this.append(entityId, snapshot, pending, current);
        // An append of ids that another writer may have stored already (the same commands sent to two processes)
        // is confirmed before it is reported: a re-send taken as idempotent stored nothing, so read what is there
        // and decide again (the commands are then duplicates). Bounded like conflicts, though one read settles it.
        if (
          pending.every(({ chosen }) => chosen) &&
          (await (options.mayBeResent?.(pending.map(({ eventId }) => eventId)) ?? true)) &&
          !(await this.locator.storedBy(streamId, snapshot.revision + 1, appended.appendId))
        ) {
          conflicts.spend();
          await readAhead();
          continue;
        }
        const revision = snapshot.revision + pending.length;
        const sealed = snapshot.sealed || appended.sealed;
        this.states.remember(entityId, { state, revision, chain: appended.chain, sealed });
        return { outcomes, revision, position: appended.position, state };
      } catch (error) {
        // Personal data for a customer whose key is gone: the stream, once read, says why.
        if ((error instanceof PersonalDataErasedError || isKeyMissing(error)) && !current) {
          await readAhead();
          continue;
        }
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        if (options.expectedRevision !== undefined) {
          throw new RevisionMismatchError(
            streamId,
            options.expectedRevision,
            Number(error.actualVersion),
          );
        }
        // Someone appended between our read and our write: a real conflict.
        if (current) await pause(conflicts.spend());
        await readAhead();
      }
    }
  }

  private async append(
    entityId: string,
    snapshot: StreamSnapshot<S>,
    pending: readonly PendingEvent<E, DecisionRequest<C, E>>[],
    current: boolean,
  ): Promise<{
    position: number | undefined;
    chain: string | undefined;
    sealed: boolean;
    appendId: string;
  }> {
    const { revision } = snapshot;
    const streamId = this.decider.streamId(entityId);
    const inputs = pending.map(({ event, eventId, request }) => ({
      type: event.type,
      data: event.data,
      eventId,
      context: request.context,
      occurredAt: this.decider.occurredAt(event, request.now),
      schemaVersion: this.decider.schemaVersion(event.type),
      personalPaths: this.decider.personalFields[event.type] ?? [],
      personal: this.decider.carriesPersonalData(event),
    }));
    const needsKey = !this.baseline.plaintext && inputs.some((input) => input.personal);
    // A key is created only for a stream read and found without sealed data: one never read may hold some.
    const mayCreate = !snapshot.sealed && (current || snapshot.revision >= 0);
    const sealedBefore = mayCreate ? undefined : { sealed: [entityId] };
    const key = needsKey
      ? (await this.keys.obtain([entityId], sealedBefore)).get(entityId)
      : undefined;
    const appendId = randomUUID();
    const sealed = sealAndChain(entityId, inputs, {
      key,
      needsKey,
      chain: this.baseline.unchained ? undefined : (snapshot.chain ?? chainGenesis(streamId)),
      appendId,
      recordedAt: this.clock().toISOString(),
    });
    const events = sealed.events.map((event) =>
      jsonEvent({ ...event, metadata: event.metadata as unknown as Record<string, unknown> }),
    );
    const expectedRevision: AppendExpectedRevision = revision < 0 ? NO_STREAM : BigInt(revision);
    const result = await this.client.appendToStream(streamId, events, { expectedRevision });
    return {
      position: result.position ? Number(result.position.commit) : undefined,
      chain: sealed.chain,
      sealed: Boolean(key),
      appendId,
    };
  }

  /** Where the events with these ids are in the entity's stream (see AppendLocator.locate). */
  locate(entityId: string, eventIds: readonly string[]): Promise<Map<string, EventLocation>> {
    return this.locator.locate(this.decider.streamId(entityId), eventIds);
  }

  /** Every event of the stream from `fromRevision`, opened and upcast, with its metadata. */
  async *read(entityId: string, fromRevision = 0): AsyncGenerator<StoredEvent & E> {
    for await (const record of this.states.records(entityId, fromRevision)) {
      if (record.event) yield record.event as StoredEvent & E;
    }
  }

  /**
   * Gets streams ready for decisions that will store personal data (a batch's customers, or one send's), so that
   * none needs a read-first and a second decision, nor key round trips of its own: each stream this process has
   * not seen is read (a key may be created only for a stream known to hold no sealed data, see `append`) and its
   * state kept for the coming decision; then the keys are obtained in one round trip, created where missing. For
   * several streams the keys that exist are fetched while the streams are read. Nothing is appended; a stream that
   * changes before its decision is read again there.
   */
  async prepare(entityIds: readonly string[]): Promise<void> {
    const ids = [...new Set(entityIds)];
    if (ids.length === 0 || this.baseline.plaintext) return;
    const unseen = ids.filter((id) => this.states.lastSeen(id).revision < 0);
    await Promise.all([
      ids.length > 1 ? this.keys.lookup(ids) : undefined,
      forEachConcurrently(unseen, PREPARE_READS, async (id) => {
        this.prepared.set(id, await this.states.catchUp(id));
      }),
    ]);
    // As `append` decides: a key is created only for a stream read and found without sealed data.
    const sealed = ids.filter((id) => {
      const snapshot = this.prepared.get(id) ?? this.states.lastSeen(id);
      return snapshot.sealed || !(this.prepared.has(id) || snapshot.revision >= 0);
    });
    // A key missing for a sealed stream (CUSTOMER_KEY_MISSING) is left for the decision to report.
    await this.keys.obtain(ids, { sealed }).catch((error: unknown) => {
      if (!isKeyMissing(error)) throw error;
    });
  }

  /** Forgets cached state (after erasure, or to force a full re-read). */
  forget(entityId: string): void {
    this.states.forget(entityId);
  }
}

/** Streams `prepare` may keep ready at once (a batch's customers, a few batches in flight). */
const PREPARED_STREAMS = 10_000;
/** Stream reads `prepare` keeps in flight. */
const PREPARE_READS = 64;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The key store refused to create a key for a stream that holds, or may hold, sealed data. */
function isKeyMissing(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 'CUSTOMER_KEY_MISSING';
}
