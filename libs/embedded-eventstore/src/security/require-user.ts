import {
  type Metadata,
  type sendUnaryData,
  type ServiceError,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { grpcError } from '../grpc/grpc-errors';

// Answers as EventStoreDB does: a call without credentials is denied ("access-denied", which the
// client raises as AccessDeniedError); wrong credentials are UNAUTHENTICATED.
function check(metadata: Metadata, valid: (header: string | undefined) => boolean) {
  const header = metadata.get('authorization')[0];
  if (header === undefined) {
    return grpcError(status.PERMISSION_DENIED, 'Access Denied', { exception: 'access-denied' });
  }
  if (!valid(typeof header === 'string' ? header : header.toString('utf8'))) {
    return grpcError(status.UNAUTHENTICATED, 'Bad username or password');
  }
  return undefined;
}

/** Wraps every handler of a service so that it runs only for an authenticated user. */
export function requireUser(
  handlers: UntypedServiceImplementation,
  valid: (header: string | undefined) => boolean,
): UntypedServiceImplementation {
  const wrapped: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const guarded = (
      call: { metadata: Metadata; emit(event: 'error', error: ServiceError): boolean },
      callback?: sendUnaryData<unknown>,
    ) => {
      const denied = check(call.metadata, valid);
      if (!denied) return (handler as (...args: unknown[]) => unknown)(call, callback);
      if (callback) callback(denied);
      else call.emit('error', denied);
      return undefined;
    };
    wrapped[name] = guarded;
  }
  return wrapped;
}
