import { status } from '@grpc/grpc-js';
import type { BatchAppendReq } from '@eventstore/db-client/generated/streams_pb';
import { grpcError } from './grpc-errors';

// Deadlines as EventStoreDB honours them: a call whose deadline (the gRPC `grpc-timeout` header, or
// the deadline inside a BatchAppend batch's options) has passed is answered DeadlineExceeded, before
// anything else about the request is looked at; a write still pending when it passes is answered
// the same way (the write itself, already handed to the log, may still land).

export class DeadlineExceeded extends Error {
  constructor() {
    super('Deadline Exceeded');
  }
}

interface DeadlineCall {
  getDeadline(): Date | number;
}

/** The call's deadline in epoch milliseconds, Infinity when it has none. */
export function callDeadline(call: DeadlineCall): number {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : Infinity;
}

/** A batch's own deadline (`options.deadline`, a Timestamp), Infinity when it carries none. */
export function batchDeadline(options: BatchAppendReq.Options | undefined): number {
  const deadline = options?.getDeadline();
  if (!deadline) return Infinity;
  return deadline.getSeconds() * 1000 + Math.floor(deadline.getNanos() / 1e6);
}

export function hasExpired(deadlineMs: number): boolean {
  return Date.now() >= deadlineMs;
}

/** Throws DeadlineExceeded once `deadlineMs` has passed. */
export function assertBeforeDeadline(deadlineMs: number): void {
  if (hasExpired(deadlineMs)) throw new DeadlineExceeded();
}

/** Settles as `work` does, or rejects with DeadlineExceeded if the deadline passes first. */
export async function beforeDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<T> {
  assertBeforeDeadline(deadlineMs);
  if (deadlineMs === Infinity) return work;
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), deadlineMs - Date.now());
  });
  try {
    return await Promise.race([work, expiry]);
  } finally {
    clearTimeout(timer);
  }
}

export function deadlineExceededError(): ReturnType<typeof grpcError> {
  return grpcError(status.DEADLINE_EXCEEDED, 'Deadline Exceeded');
}
