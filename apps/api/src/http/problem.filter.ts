import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { Response } from 'express';
import type { DomainErrorCode } from '@app/domain';
import { problem, type Problem, PROBLEM_CONTENT_TYPE } from './problem';
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

export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  ...DOMAIN_STATUS,
  REVISION_MISMATCH: 412,
  CONCURRENCY_CONFLICT: 409,
  READ_MODEL_BEHIND: 503,
  ERASURE_UNCONFIRMED: 503,
  // Sealed data whose key vanished: an integrity fault for an operator, not a retryable outage.
  CUSTOMER_KEY_MISSING: 500,
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

/** Errors of the store clients that mean "not reachable now": the caller may retry. */
const UNAVAILABLE_ERRORS = new Set([
  'UnavailableError',
  'DeadlineExceededError',
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
]);

interface CodedError {
  code: string;
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
  // The event store client's errors keep the name "Error"; their classes say what they are.
  const kind = error instanceof Error ? [error.name, error.constructor.name] : [];
  if (kind.some((name) => UNAVAILABLE_ERRORS.has(name))) {
    return problem(503, `A store is not reachable right now (${kind[1]}); retry shortly`, {
      code: 'STORE_UNAVAILABLE',
    });
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

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const known = toProblem(error);
    if (known) {
      if (known.status === 401) response.set('WWW-Authenticate', 'Bearer');
      if (known.status === 503) response.set('Retry-After', '1');
      // Coded server-side faults (an integrity error) are answered with their code and logged here, once.
      if (known.status === 500)
        this.logger.error(error instanceof Error ? error.message : String(error));
      sendProblem(response, known);
      return;
    }
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    sendProblem(response, problem(500, 'An unexpected error occurred; it has been logged'));
  }
}
