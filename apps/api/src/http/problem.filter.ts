import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { DomainErrorCode } from '@app/domain';
import type { EventStoreErrorCode } from '@app/event-store';
import type { CustomerKeyMissingError, ErasureUnconfirmedError } from '@app/read-models';
import type { ReadModelBehindError } from './min-position';
import { problem, type Problem, PROBLEM_CONTENT_TYPE } from './problem';
import { correlationIdOf } from './request-context';
import { storeUnavailable, type StoreUnavailableError } from './store-unavailable';
import { RequestValidationError } from './validation';

/**
 * HTTP status of each stable error code. Domain errors know nothing of HTTP; this table is the one place that
 * decides, and its type makes a new domain code fail to compile until it has a status here.
 */
const DOMAIN_STATUS: Readonly<Record<DomainErrorCode, number>> = {
  CUSTOMER_NOT_FOUND: 404,
  CUSTOMER_ALREADY_EXISTS: 409,
  CUSTOMER_ERASED: 410,
  CUSTOMER_MERGED: 409,
  COMPLAINT_ALREADY_OPEN: 409,
  COMPLAINT_ALREADY_RESOLVED: 409,
  COMPLAINT_NOT_OPEN: 409,
  COMPLAINT_NOT_RESOLVED: 409,
  ALREADY_MEMBER: 409,
  ORDER_NOT_FOUND: 422,
  REFUND_EXCEEDS_PURCHASE: 422,
  CURRENCY_MISMATCH: 422,
  INVALID_AMOUNT: 400,
  INVALID_FEEDBACK: 400,
  INVALID_CURRENCY: 400,
  INVALID_DURATION: 400,
  INVALID_TIMESTAMP: 400,
};

/** Every code an error of the API's own libraries carries; a new one fails to compile until it has a status. */
type ErrorCode =
  | DomainErrorCode
  | EventStoreErrorCode
  | CustomerKeyMissingError['code']
  | ErasureUnconfirmedError['code']
  | ReadModelBehindError['code']
  | StoreUnavailableError['code']
  | 'INTERNAL_ERROR';

export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  ...DOMAIN_STATUS,
  REVISION_MISMATCH: 412,
  CONCURRENCY_CONFLICT: 409,
  READ_MODEL_BEHIND: 503,
  ERASURE_UNCONFIRMED: 503,
  STORE_UNAVAILABLE: 503,
  // Sealed data whose key vanished: an integrity fault for an operator, not a retryable outage.
  CUSTOMER_KEY_MISSING: 500,
  // Anything unforeseen: logged with the request's correlation id, which the answer carries.
  INTERNAL_ERROR: 500,
};

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

interface CodedError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

function isCodedError(error: unknown): error is CodedError {
  return (
    error instanceof Error &&
    typeof (error as Partial<CodedError>).code === 'string' &&
    (error as unknown as CodedError).code in STATUS_BY_CODE
  );
}

/** Body-parser failures arrive as errors with an HTTP status and a `type` string. */
function isBodyParserError(error: unknown): error is Error & { status: number; type: string } {
  return (
    error instanceof Error &&
    typeof (error as { status?: unknown }).status === 'number' &&
    typeof (error as { type?: unknown }).type === 'string'
  );
}

export function toProblem(error: unknown): Problem | undefined {
  // Store client errors carry codes of their own (numbers, server codes): an outage is recognised first.
  const outage = storeUnavailable(error);
  if (outage) return problem(STATUS_BY_CODE[outage.code], outage.message, { code: outage.code });
  if (error instanceof RequestValidationError) {
    return problem(400, error.message, { code: 'VALIDATION_FAILED', errors: error.problems });
  }
  if (isCodedError(error)) {
    return problem(STATUS_BY_CODE[error.code], error.message, {
      code: error.code,
      ...(error.details ? { details: error.details } : {}),
    });
  }
  if (isBodyParserError(error)) {
    const detail =
      error.type === 'entity.too.large'
        ? 'The request body is larger than the API accepts'
        : `The request body could not be read: ${error.message}`;
    return problem(error.status, detail, { code: error.type.toUpperCase().replace(/\./g, '_') });
  }
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message =
      typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const detail = Array.isArray(message)
      ? message.join('; ')
      : typeof message === 'string'
        ? message
        : error.message;
    const status = error.getStatus();
    return problem(status, detail, { code: CODE_BY_STATUS[status] ?? `HTTP_${status}` });
  }
  return undefined;
}

export function sendProblem(response: Response, body: Problem): void {
  response.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

const logger = new Logger('HTTP');

/**
 * Answers any error as problem+json: known ones with their status and code, anything else as 500 INTERNAL_ERROR.
 * Every 5xx answer carries the request's correlation id; faults other than outages are logged under it, once, here.
 */
export function answerProblem(error: unknown, request: Request, response: Response): void {
  const known = toProblem(error);
  const body =
    known ??
    problem(STATUS_BY_CODE.INTERNAL_ERROR, 'An unexpected error occurred; it has been logged', {
      code: 'INTERNAL_ERROR',
    });
  if (body.status === 401) response.set('WWW-Authenticate', 'Bearer');
  if (body.status === 503) response.set('Retry-After', '1');
  if (body.status >= 500) {
    const correlationId = correlationIdOf(request);
    body.correlationId = correlationId;
    if (body.status !== 503) {
      // Coded faults (an integrity error) by their message; unforeseen ones with their stack.
      const text =
        error instanceof Error
          ? ((known ? undefined : error.stack) ?? error.message)
          : String(error);
      logger.error(`[${correlationId}] ${text}`);
    }
  }
  sendProblem(response, body);
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    answerProblem(error, http.getRequest<Request>(), http.getResponse<Response>());
  }
}
