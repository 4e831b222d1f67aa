import { randomUUID } from 'node:crypto';

/** What deciding a batch needs of a decider: its two pure functions. */
export interface Decide<C, E, S> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
}

/** One command to decide, and how its events get their ids. */
export interface BatchRequest<C, E> {
  command: C;
  /** Deterministic id for an event, so a retried request produces the same one; random otherwise. */
  eventId?(event: E, index: number): string | undefined;
}

export interface DecidedEvent<E> {
  event: E;
  eventId: string;
  revision: number;
}

export type DecisionOutcome<E> =
  { ok: true; events: DecidedEvent<E>[] } | { ok: false; error: unknown };

/** An event decided and waiting to be appended, with the request it came from. */
export interface PendingEvent<E, R> {
  event: E;
  eventId: string;
  request: R;
  /** The id came from the request (deterministic), not made up here: an earlier send may have stored it. */
  chosen: boolean;
}

export interface DecidedBatch<E, S, R> {
  /** One per request, in order: its events with the revisions they will have, or why it was refused. */
  outcomes: DecisionOutcome<E>[];
  /** The accepted events of every request, in order: what one append stores. */
  pending: PendingEvent<E, R>[];
  /** The state after every accepted event. */
  state: S;
}

/**
 * Decides commands for one stream in order, each against the state the accepted ones before it left. A refused
 * command (decide throws) contributes nothing and does not stop the others. Pure but for `newId`.
 */
export function decideBatch<C, E, S, R extends BatchRequest<C, E>>(
  decider: Decide<C, E, S>,
  start: { state: S; revision: number },
  requests: readonly R[],
  newId: () => string = randomUUID,
): DecidedBatch<E, S, R> {
  let state = start.state;
  let revision = start.revision;
  const pending: PendingEvent<E, R>[] = [];
  const outcomes = requests.map((request): DecisionOutcome<E> => {
    let events: E[];
    try {
      events = decider.decide(request.command, state);
    } catch (error) {
      return { ok: false, error };
    }
    const decided = events.map((event, index) => {
      state = decider.evolve(state, event);
      revision += 1;
      const chosen = request.eventId?.(event, index);
      const eventId = chosen ?? newId();
      pending.push({ event, eventId, request, chosen: chosen !== undefined });
      return { event, eventId, revision };
    });
    return { ok: true, events: decided };
  });
  return { outcomes, pending, state };
}
