import type { DomainErrorCode } from '@app/domain';
import type { EventStoreErrorCode } from '@app/event-store';
import type {
  CustomerKeyMissingError,
  ErasureUnconfirmedError,
  TouchpointIdReusedError,
} from '@app/read-models';
import type { ReadModelBehindError } from './min-position';
import type { StoreUnavailableError } from './store-unavailable';

/** How the API answers an error code: its HTTP status, and whether the same request may succeed if sent again. */
export interface CodeAnswer {
  status: number;
  retryable: boolean;
}

// Sending it again changes nothing until something else does (the customer's state, the request, an operator).
const refused = (status: number): CodeAnswer => ({ status, retryable: false });
// Sending the same request again may succeed.
const transient = (status: number): CodeAnswer => ({ status, retryable: true });

/** Domain errors know nothing of HTTP; this table decides, and a new domain code fails to compile until it is in. */
const DOMAIN_CODES: Readonly<Record<DomainErrorCode, CodeAnswer>> = {
  CUSTOMER_NOT_FOUND: refused(404),
  CUSTOMER_ALREADY_EXISTS: refused(409),
  CUSTOMER_ERASED: refused(410),
  CUSTOMER_MERGED: refused(409),
  COMPLAINT_ALREADY_OPEN: refused(409),
  COMPLAINT_ALREADY_RESOLVED: refused(409),
  COMPLAINT_NOT_OPEN: refused(409),
  COMPLAINT_NOT_RESOLVED: refused(409),
  ALREADY_MEMBER: refused(409),
  ORDER_NOT_FOUND: refused(422),
  REFUND_EXCEEDS_PURCHASE: refused(422),
  CURRENCY_MISMATCH: refused(422),
  INVALID_AMOUNT: refused(400),
  INVALID_FEEDBACK: refused(400),
  INVALID_CURRENCY: refused(400),
  INVALID_DURATION: refused(400),
  INVALID_TIMESTAMP: refused(400),
};

/** Every code an error of the API's own libraries carries. */
export type ErrorCode =
  | DomainErrorCode
  | EventStoreErrorCode
  | CustomerKeyMissingError['code']
  | ErasureUnconfirmedError['code']
  | TouchpointIdReusedError['code']
  | ReadModelBehindError['code']
  | StoreUnavailableError['code']
  | 'INTERNAL_ERROR';

/**
 * The one table from error code to answer, for whole requests (problem+json status) and batch items (`retryable`).
 * A code missing here fails to compile.
 */
export const ERROR_CODES: Readonly<Record<ErrorCode, CodeAnswer>> = {
  ...DOMAIN_CODES,
  // The caller's If-Match is stale: it must read the new revision before sending again.
  REVISION_MISMATCH: refused(412),
  // The touchpoint id was first sent for another customer (named in the answer); it stays theirs.
  TOUCHPOINT_ID_REUSED: refused(409),
  // Other writers kept winning the stream for every retry the server made; a later send may get through.
  CONCURRENCY_CONFLICT: transient(409),
  READ_MODEL_BEHIND: transient(503),
  ERASURE_UNCONFIRMED: transient(503),
  STORE_UNAVAILABLE: transient(503),
  // Sealed data whose key vanished: an integrity fault for an operator, not a retryable outage.
  CUSTOMER_KEY_MISSING: refused(500),
  // Anything unforeseen: logged with the request's correlation id, which the answer carries.
  INTERNAL_ERROR: transient(500),
};

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}
