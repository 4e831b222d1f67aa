export const DOMAIN_ERROR_CODES = [
  'CUSTOMER_NOT_FOUND',
  'CUSTOMER_ALREADY_EXISTS',
  'CUSTOMER_ERASED',
  'CUSTOMER_MERGED',
  'COMPLAINT_ALREADY_OPEN',
  'COMPLAINT_ALREADY_RESOLVED',
  'COMPLAINT_NOT_OPEN',
  'COMPLAINT_NOT_RESOLVED',
  'INVALID_FEEDBACK',
  'INVALID_AMOUNT',
  'INVALID_CURRENCY',
  'INVALID_DURATION',
  'INVALID_TIMESTAMP',
  'CURRENCY_MISMATCH',
  'ORDER_NOT_FOUND',
  'REFUND_EXCEEDS_PURCHASE',
  'ALREADY_MEMBER',
] as const;

/** Stable codes: the HTTP layer maps them to statuses, clients may branch on them. */
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

/** A command broke a business rule. Knows nothing of HTTP. */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
