import { DomainError } from './domain.error';
import { type CustomerState, type LiveCustomer } from './customer.state';
import { isTimestamp } from './time';

/** The customer's personal record, or the reason no new fact can be added to it. */
export function requireLive(state: CustomerState, customerId: string): LiveCustomer {
  switch (state.status) {
    case 'unknown':
      throw notFoundError(customerId);
    case 'erased':
      throw erasedError(customerId);
    default:
      return requireNotMerged(state);
  }
}

// A merged customer's facts belong to the customer it was merged into; writing here would split them.
export function requireNotMerged(live: LiveCustomer): LiveCustomer {
  if (live.mergedIntoCustomerId === null) return live;
  throw new DomainError(
    'CUSTOMER_MERGED',
    `customer ${live.customerId} was merged into ${live.mergedIntoCustomerId}`,
    { customerId: live.customerId, mergedIntoCustomerId: live.mergedIntoCustomerId },
  );
}

export function notFoundError(customerId: string): DomainError {
  return new DomainError('CUSTOMER_NOT_FOUND', `customer ${customerId} does not exist`, {
    customerId,
  });
}

export function erasedError(customerId: string): DomainError {
  return new DomainError(
    'CUSTOMER_ERASED',
    `customer ${customerId} was erased; personal data can no longer be recorded`,
    { customerId },
  );
}

export function requireTimestamps(fields: Readonly<Record<string, string | undefined>>): void {
  for (const [field, value] of Object.entries(fields)) {
    if (value !== undefined && !isTimestamp(value)) {
      throw new DomainError('INVALID_TIMESTAMP', `${field} is not an ISO-8601 timestamp`, {
        field,
        value,
      });
    }
  }
}

/** Drops fields that are undefined or null, so stored payloads hold only what was given. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => field !== undefined && field !== null),
  ) as T;
}

/** Ends a switch over a union: adding a member without handling it fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
