import { isEventStoreUnavailable } from '@app/event-store';
import { isMongoUnavailable } from '@app/read-models';

/** A store could not be reached. Maps to 503 with Retry-After: the same request may be sent again. */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The store outage behind `error` (the error itself or one of its causes), if there is one. */
export function storeUnavailable(error: unknown): StoreUnavailableError | undefined {
  for (let at = error, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth += 1) {
    if (at instanceof StoreUnavailableError) return at;
    const store = isEventStoreUnavailable(at)
      ? 'The event store'
      : isMongoUnavailable(at)
        ? 'MongoDB'
        : undefined;
    if (store) {
      return new StoreUnavailableError(`${store} is not reachable right now; retry shortly`, {
        cause: at,
      });
    }
  }
  return undefined;
}
