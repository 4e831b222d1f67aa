import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CommandContext } from '@app/event-store';
import type { AuthenticatedRequest } from './auth.guard';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,100}$/;

type CorrelatedRequest = IncomingMessage & { correlationId?: string };

/**
 * The request chain this request belongs to: the caller's `X-Correlation-Id` when it is well-formed, otherwise one
 * made up here, the same for the whole request (its events, its answer and its log lines).
 */
export function correlationIdOf(request: CorrelatedRequest): string {
  if (request.correlationId === undefined) {
    const header = request.headers['x-correlation-id'];
    request.correlationId =
      typeof header === 'string' && CORRELATION_ID.test(header) ? header : randomUUID();
  }
  return request.correlationId;
}

/** Who is asking and in which request chain; the source defaults to the key's role when the body names none. */
export function commandContext(request: AuthenticatedRequest, source?: string): CommandContext {
  const principal = request.principal;
  if (!principal) throw new Error('commandContext needs an authenticated request');
  return {
    actor: principal.actor,
    source: source ?? `api:${principal.role}`,
    correlationId: correlationIdOf(request),
  };
}
