import { isObservable, type Observable } from 'rxjs';
import type { EventPosition, ProjectedEvent } from './projection';

/** What the composition point hands the runner: events in `$all` order, pushed (Observable) or pulled. */
export type EventSource =
  Observable<ProjectedEvent> | (AsyncIterable<ProjectedEvent> & { unsubscribe?(): Promise<void> });

/** Opens the source after `position` (undefined: from the start). Called again after the source drops. */
export type OpenEventSource = (after: EventPosition | undefined) => EventSource;

/** A pull interface over either kind of source, which can be closed while a `next()` is pending. */
export interface EventFeed {
  next(): Promise<IteratorResult<ProjectedEvent, undefined>>;
  close(): Promise<void>;
}

const DONE: IteratorResult<ProjectedEvent, undefined> = { done: true, value: undefined };

export function openFeed(source: EventSource): EventFeed {
  return isObservable(source) ? observableFeed(source) : iterableFeed(source);
}

function iterableFeed(source: Exclude<EventSource, Observable<ProjectedEvent>>): EventFeed {
  const iterator = source[Symbol.asyncIterator]();
  let closed = false;
  // Settles the pending next() when closed. One per call: racing every call against one long-pending promise
  // would keep every result alive (each race leaves a reaction on it), about a kilobyte per event projected.
  let wake: (() => void) | undefined;
  return {
    next: () => {
      if (closed) return Promise.resolve(DONE);
      return new Promise<IteratorResult<ProjectedEvent, undefined>>((resolve, reject) => {
        wake = () => resolve(DONE);
        iterator.next().then((result) => {
          wake = undefined;
          resolve(result.done ? DONE : result);
        }, reject);
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      wake?.();
      // A subscription ends its iteration when unsubscribed; anything else is asked to return.
      if (source.unsubscribe) await source.unsubscribe().catch(() => undefined);
      else void Promise.resolve(iterator.return?.()).catch(() => undefined);
    },
  };
}

/**
 * Events pushed by an Observable are queued until pulled: the runner takes them at its own pace (a pulled source,
 * such as the event store subscription, gets backpressure instead).
 */
function observableFeed(source: Observable<ProjectedEvent>): EventFeed {
  const queue: ProjectedEvent[] = [];
  let ended: { error?: unknown } | undefined;
  let waiter: { resolve: () => void } | undefined;
  const notify = () => {
    waiter?.resolve();
    waiter = undefined;
  };
  const subscription = source.subscribe({
    next: (event) => {
      queue.push(event);
      notify();
    },
    error: (error: unknown) => {
      ended ??= { error };
      notify();
    },
    complete: () => {
      ended ??= {};
      notify();
    },
  });
  return {
    next: async () => {
      for (;;) {
        const event = queue.shift();
        if (event) return { done: false, value: event };
        if (ended) {
          if (ended.error !== undefined) {
            throw ended.error instanceof Error
              ? ended.error
              : new Error(JSON.stringify(ended.error));
          }
          return DONE;
        }
        await new Promise<void>((resolve) => {
          waiter = { resolve };
        });
      }
    },
    close: async () => {
      ended ??= {};
      queue.length = 0;
      subscription.unsubscribe();
      notify();
      await Promise.resolve();
    },
  };
}
