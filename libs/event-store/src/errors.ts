import {
  DeadlineExceededError,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
} from '@eventstore/db-client';
import { Metadata, status } from '@grpc/grpc-js';

/** Raised when a caller's expected revision (If-Match) is not the stream's. Maps to HTTP 412. */
export class RevisionMismatchError extends Error {
  readonly code = 'REVISION_MISMATCH';
  constructor(
    readonly streamId: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${streamId} is at revision ${actual}, not ${expected}; reload it and try again`);
    this.name = 'RevisionMismatchError';
  }
  get details(): Record<string, unknown> {
    return {
      streamId: this.streamId,
      expectedRevision: this.expected,
      actualRevision: this.actual,
    };
  }
}

/** Raised when concurrent writers kept winning the race for a stream through every retry. */
export class ConcurrencyConflictError extends Error {
  readonly code = 'CONCURRENCY_CONFLICT';
  constructor(
    readonly streamId: string,
    readonly attempts: number,
  ) {
    super(`${streamId} was changed concurrently ${attempts} times in a row; try again`);
    this.name = 'ConcurrencyConflictError';
  }
}

/** Personal data for an entity whose key has been destroyed (erased): it cannot be stored. Maps to HTTP 410. */
export class PersonalDataErasedError extends Error {
  readonly code = 'CUSTOMER_ERASED';
  constructor(readonly entityId: string) {
    super(`${entityId} has been erased: personal data for it can no longer be stored`);
    this.name = 'PersonalDataErasedError';
  }
}

/** Codes of this library's errors; the API's status table must name each. */
export type EventStoreErrorCode =
  | RevisionMismatchError['code']
  | ConcurrencyConflictError['code']
  | PersonalDataErasedError['code'];

/**
 * The event store could not be reached or did not answer in time, or the node that answered is not the cluster's
 * leader (during an election, or after the leader moved): nothing was written, and the same call may succeed later.
 * On a not-leader answer the client itself reconnects to the leader the node named, so the retry reaches it. Some
 * client paths (the server-features probe before an append) reject with the raw gRPC status instead of the
 * client's error classes, so both are recognised.
 */
export function isEventStoreUnavailable(error: unknown): boolean {
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError
  ) {
    return true;
  }
  if (!(error instanceof Error) || !('metadata' in error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || notLeaderStatus(error);
}

/** A raw gRPC status carrying the server's `exception: not-leader` trailer. */
function notLeaderStatus(error: Error & { metadata: unknown }): boolean {
  const { metadata } = error;
  return metadata instanceof Metadata && metadata.get('exception').includes('not-leader');
}
