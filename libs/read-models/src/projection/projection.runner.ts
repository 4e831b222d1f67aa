import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import {
  comparePositions,
  DURABLE,
  positionOf,
  ProjectionCheckpoints,
  type ProjectionState,
} from './checkpoints';
import { parkEvent } from './dead-letters';
import { type EventFeed, type OpenEventSource, openFeed } from './event-feed';
import type { EventPosition, ProjectedEvent, Projection } from './projection';
import { isTransientError } from './transient';

export type OnProjectionError = 'park' | 'stop';

export interface RunnerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ProjectionRunnerOptions {
  db: Db;
  projections: readonly Projection[];
  /** Opens the event source after a position; called again (from the lowest checkpoint) when it drops. */
  source: OpenEventSource;
  /** Largest batch (default 500 events). */
  batchSize?: number;
  /** Longest wait, from a batch's first event, before it is applied anyway (default 100 ms). */
  batchMs?: number;
  /** An event a projection cannot handle: parked in the dead letters (default), or the projection fails. */
  onError?: OnProjectionError;
  /** How long a lease lasts (default 10 s); renewed every third of that. */
  leaseMs?: number;
  renewEveryMs?: number;
  /** This process in the lease documents; default host, pid and a random suffix. */
  owner?: string;
  /** Pauses between retries of transient errors and resubscriptions: from `min` doubling to `max`. */
  backoff?: { minMs: number; maxMs: number };
  logger?: RunnerLogger;
}

/** What one process has done since it started, for progress logs. */
export interface RunnerProgress {
  owner: string;
  held: string[];
  /** Last position of the last batch handled. */
  position: EventPosition | undefined;
  eventsHandled: number;
  batches: number;
}

interface Held {
  projection: Projection;
  checkpoint: EventPosition | undefined;
  leaseUntil: number;
  /** Fed by the current subscription: false for a lease taken since, until the source is opened again. */
  active: boolean;
}

interface BatchOutcome {
  through: EventPosition | undefined;
  applied: number;
  error?: string;
  failed?: boolean;
}

class Stopping extends Error {}

const silent: RunnerLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * Applies events to projections in batches, each projection from its own checkpoint, and moves a checkpoint only
 * after its batch is durable. One process at a time writes a projection: the one holding its lease.
 */
export class ProjectionRunner {
  readonly owner: string;
  private readonly db: Db;
  private readonly durableDb: Db;
  private readonly checkpoints: ProjectionCheckpoints;
  private readonly batchSize: number;
  private readonly batchMs: number;
  private readonly onError: OnProjectionError;
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly backoff: { minMs: number; maxMs: number };
  private readonly logger: RunnerLogger;
  private readonly held = new Map<string, Held>();
  /** Each projection's write in progress (apply and checkpoint of one batch). */
  private readonly writing = new Map<string, Promise<void>>();
  private stopping = false;
  private started = false;
  private loop: Promise<void> = Promise.resolve();
  private leases: Promise<void> = Promise.resolve();
  private leaseTimer: NodeJS.Timeout | undefined;
  private feed: EventFeed | undefined;
  private pending: Promise<IteratorResult<ProjectedEvent, undefined>> | undefined;
  private resubscribe = false;
  private wakeSleep: (() => void) | undefined;
  private readonly progressState: Omit<RunnerProgress, 'held' | 'owner'> = {
    position: undefined,
    eventsHandled: 0,
    batches: 0,
  };

  constructor(private readonly options: ProjectionRunnerOptions) {
    const names = options.projections.map((p) => p.name);
    if (new Set(names).size !== names.length) {
      throw new Error(`projection names must be unique: ${names.join(', ')}`);
    }
    this.db = options.db;
    // Projections write through a handle whose writes are acknowledged only once journaled on a majority, so
    // by the time `apply` resolves the batch is durable and the checkpoint may follow it.
    this.durableDb = options.db.client.db(options.db.databaseName, { writeConcern: DURABLE });
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.checkpoints = new ProjectionCheckpoints(options.db, this.owner);
    this.batchSize = options.batchSize ?? 500;
    this.batchMs = options.batchMs ?? 100;
    this.onError = options.onError ?? 'park';
    this.leaseMs = options.leaseMs ?? 10_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.max(10, Math.floor(this.leaseMs / 3));
    this.backoff = options.backoff ?? { minMs: 100, maxMs: 10_000 };
    this.logger = options.logger ?? silent;
  }

  /** Creates indexes, takes the leases it can and starts following the source. */
  async start(): Promise<void> {
    if (this.started) throw new Error('the runner has been started already');
    this.started = true;
    for (const projection of this.options.projections) await projection.setup(this.db);
    await this.refreshLeases();
    this.leaseTimer = setInterval(() => {
      this.leases = this.leases.then(() => this.refreshLeases());
    }, this.renewEveryMs);
    this.loop = this.run();
  }

  /** Finishes the batch in hand, then gives the leases up (another process may take over at once). */
  async stop(): Promise<void> {
    if (this.stopping) return this.loop;
    this.stopping = true;
    clearInterval(this.leaseTimer);
    this.wakeSleep?.();
    await this.feed?.close();
    await this.loop;
    await this.leases;
    for (const name of [...this.held.keys()]) {
      await this.checkpoints.release(name, 'stopped').catch((error: unknown) => {
        this.logger.warn(`could not release the lease of ${name}: ${message(error)}`);
      });
      this.held.delete(name);
    }
  }

  progress(): RunnerProgress {
    return { owner: this.owner, held: [...this.held.keys()], ...this.progressState };
  }

  private async refreshLeases(): Promise<void> {
    if (this.stopping) return;
    let gained = false;
    for (const projection of this.options.projections) {
      const name = projection.name;
      try {
        const until = Date.now() + this.leaseMs;
        const mine = this.held.get(name);
        if (mine) {
          if (await this.checkpoints.renew(name, this.leaseMs)) mine.leaseUntil = until;
          else this.lose(name);
        } else if (await this.checkpoints.acquire(name, this.leaseMs)) {
          const doc = await this.checkpoints.load(name);
          const checkpoint = doc ? positionOf(doc) : undefined;
          this.held.set(name, { projection, checkpoint, leaseUntil: until, active: false });
          this.logger.log(
            `holding ${name} from ${doc?.commit === undefined ? 'the start' : `commit position ${doc.commit}`}`,
          );
          gained = true;
        }
      } catch (error) {
        this.logger.warn(`lease of ${name}: ${message(error)}`);
      }
    }
    // A projection taken over may be behind the subscription: follow again from the lowest checkpoint.
    if (gained && this.feed) {
      this.resubscribe = true;
      void this.feed.close();
    }
  }

  private lose(name: string): void {
    if (!this.held.delete(name)) return;
    this.logger.warn(`lost the lease of ${name}: another process writes it now`);
    // Whoever took the lease (a rebuild switching over) may go on once our last write is done: say so, rather
    // than have it wait for our lease to run out.
    const lastWrite = this.writing.get(name) ?? Promise.resolve();
    void lastWrite
      .catch(() => undefined)
      .then(() => this.checkpoints.acknowledgeLoss(name))
      .catch((error: unknown) => {
        this.logger.warn(`could not hand ${name} over: ${message(error)}`);
      });
  }

  /** Keeps `write` as the projection's write in progress until it settles. */
  private track(name: string, write: Promise<void>): Promise<void> {
    this.writing.set(name, write);
    const done = () => {
      if (this.writing.get(name) === write) this.writing.delete(name);
    };
    write.then(done, done);
    return write;
  }

  private async run(): Promise<void> {
    let pauseMs = this.backoff.minMs;
    while (!this.stopping) {
      if (this.held.size === 0) {
        await this.sleep(this.renewEveryMs);
        continue;
      }
      // The source opens at the lowest checkpoint of the projections it feeds: all of them, from now on.
      const fed = [...this.held.values()];
      const from = fed
        .map((held) => held.checkpoint)
        .reduce<EventPosition | undefined | null>(
          (lowest, position) =>
            lowest === null || comparePositions(position, lowest) < 0 ? position : lowest,
          null,
        );
      for (const held of fed) held.active = true;
      this.resubscribe = false;
      let feed: EventFeed | undefined;
      try {
        feed = openFeed(this.options.source(from ?? undefined));
        this.feed = feed;
        this.pending = undefined;
        for (;;) {
          const { events, done } = await this.nextBatch(feed);
          if (events.length > 0) {
            await this.handle(events);
            pauseMs = this.backoff.minMs;
          }
          if (done || this.stopping || this.resubscribe) break;
        }
        if (!this.stopping && !this.resubscribe) {
          this.logger.warn(`the event source ended; following again in ${pauseMs} ms`);
          await this.sleep(pauseMs);
          pauseMs = Math.min(pauseMs * 2, this.backoff.maxMs);
        }
      } catch (error) {
        if (this.stopping) break;
        this.logger.error(
          `the event source dropped (${message(error)}); following again in ${pauseMs} ms`,
        );
        await this.sleep(pauseMs);
        pauseMs = Math.min(pauseMs * 2, this.backoff.maxMs);
      } finally {
        this.feed = undefined;
        await feed?.close();
      }
    }
  }

  /** Up to `batchSize` events, or fewer once `batchMs` have passed since the first; pulls only what it needs. */
  private async nextBatch(feed: EventFeed): Promise<{ events: ProjectedEvent[]; done: boolean }> {
    const events: ProjectedEvent[] = [];
    let deadline = 0;
    for (;;) {
      if (!this.pending) {
        this.pending = feed.next();
        // It may be left pending past this batch; a rejection is awaited by the next call, not lost.
        this.pending.catch(() => undefined);
      }
      const result =
        events.length === 0
          ? await this.pending
          : await within(this.pending, deadline - Date.now());
      if (result === undefined) return { events, done: false };
      this.pending = undefined;
      if (result.done) return { events, done: true };
      events.push(result.value);
      if (events.length === 1) deadline = Date.now() + this.batchMs;
      if (events.length >= this.batchSize) return { events, done: false };
    }
  }

  private async handle(batch: readonly ProjectedEvent[]): Promise<void> {
    // A full batch means more is waiting: the projection is catching up, not following live.
    const state: ProjectionState = batch.length >= this.batchSize ? 'catching_up' : 'running';
    // Read models are independent (own collections, own checkpoint): they are written concurrently, so one's
    // folding overlaps another's writes and their durable writes share the store's journal flushes.
    const outcomes = await Promise.allSettled(
      this.options.projections.map((projection) =>
        this.track(projection.name, this.handleOne(projection, batch, state)),
      ),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected' && !(outcome.reason instanceof Stopping)) {
        throw outcome.reason;
      }
    }
    if (outcomes.some((outcome) => outcome.status === 'rejected')) return;
    this.progressState.position = batch[batch.length - 1].position;
    this.progressState.eventsHandled += batch.length;
    this.progressState.batches += 1;
  }

  /** One read model's part of a batch: apply, then its checkpoint; Stopping ends it without a checkpoint. */
  private async handleOne(
    projection: Projection,
    batch: readonly ProjectedEvent[],
    state: ProjectionState,
  ): Promise<void> {
    const held = this.held.get(projection.name);
    if (!held?.active) return;
    const events = batch.filter((event) => comparePositions(event.position, held.checkpoint) > 0);
    if (events.length === 0) return;
    if (held.leaseUntil <= Date.now()) {
      // Our lease may have passed to someone else: write nothing until a renewal says it is still ours.
      this.lose(projection.name);
      return;
    }
    const started = Date.now();
    const outcome = await this.applyBatch(projection, held.checkpoint, events);
    const through = outcome.through;
    const recorded =
      through === undefined ||
      (await this.retrying(() =>
        this.checkpoints.record(
          projection.name,
          {
            through,
            state: outcome.failed ? 'failed' : state,
            applied: outcome.applied,
            size: events.length,
            ms: Date.now() - started,
            error: outcome.error,
          },
          this.leaseMs,
        ),
      ).catch((error: unknown) => {
        if (error instanceof Stopping) return false;
        throw error;
      }));
    if (!recorded) {
      this.lose(projection.name);
      return;
    }
    if (through) held.checkpoint = through;
    if (outcome.failed) {
      this.logger.error(`${projection.name} failed and stops: ${outcome.error}`);
      await this.checkpoints.release(projection.name, 'failed', outcome.error);
      this.held.delete(projection.name);
    }
  }

  /**
   * The whole batch at once; when it fails for a reason other than the store being unreachable, event by event
   * to find the culprit, which is parked (or, with `stop`, ends the projection just before it).
   */
  private async applyBatch(
    projection: Projection,
    checkpoint: EventPosition | undefined,
    events: readonly ProjectedEvent[],
  ): Promise<BatchOutcome> {
    try {
      await this.retrying(() => projection.apply(this.durableDb, events));
      return { through: events[events.length - 1].position, applied: events.length };
    } catch (error) {
      if (error instanceof Stopping) throw error;
      this.logger.warn(
        `${projection.name}: a batch of ${events.length} failed (${message(error)}); applying it event by event`,
      );
    }
    let through = checkpoint;
    let applied = 0;
    let lastError: string | undefined;
    for (const event of events) {
      try {
        await this.retrying(() => projection.apply(this.durableDb, [event]));
        applied += 1;
      } catch (error) {
        if (error instanceof Stopping) throw error;
        lastError = `${event.type} at ${event.streamId}@${event.revision}: ${message(error)}`;
        if (this.onError === 'stop') return { through, applied, error: lastError, failed: true };
        await this.retrying(() => parkEvent(this.db, projection.name, event, error));
        this.logger.warn(`${projection.name}: parked ${lastError}`);
      }
      through = event.position;
    }
    return { through, applied, error: lastError };
  }

  /** Runs `work` until it succeeds or fails for good; transient store errors are retried with backoff. */
  private async retrying<T>(work: () => Promise<T>): Promise<T> {
    let pauseMs = this.backoff.minMs;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!isTransientError(error)) throw error;
        if (this.stopping) throw new Stopping(message(error));
        this.logger.warn(`store not reachable (${message(error)}); retrying in ${pauseMs} ms`);
        await this.sleep(pauseMs);
        pauseMs = Math.min(pauseMs * 2, this.backoff.maxMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = done;
    });
  }
}

/** The promise's value, or undefined when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
