import { randomUUID } from 'node:crypto';
import type { CommandContext } from '@app/event-store';
import type { AuthenticatedRequest } from './auth.guard';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Who is asking and in which request chain; the source defaults to the key's role when the body names none. */
export function commandContext(request: AuthenticatedRequest, source?: string): CommandContext {
  const header = request.headers['x-correlation-id'];
  const given = typeof header === 'string' && CORRELATION_ID.test(header) ? header : undefined;
  const principal = request.principal;
  if (!principal) throw new Error('commandContext needs an authenticated request');
  return {
    actor: principal.actor,
    source: source ?? `api:${principal.role}`,
    correlationId: given ?? randomUUID(),
  };
}
