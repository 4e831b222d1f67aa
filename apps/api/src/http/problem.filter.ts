import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { type CodeAnswer, ERROR_CODES, type ErrorCode, isErrorCode } from './error-codes';
import { problem, type Problem, PROBLEM_CONTENT_TYPE } from './problem';
import { correlationIdOf } from './request-context';
import { storeUnavailable } from './store-unavailable';
import { RequestValidationError } from './validation';

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
  return error instanceof Error && isErrorCode((error as Partial<CodedError>).code);
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
  if (outage)
    return problem(ERROR_CODES[outage.code].status, outage.message, { code: outage.code });
  if (error instanceof RequestValidationError) {
    return problem(400, error.message, { code: 'VALIDATION_FAILED', errors: error.problems });
  }
  if (isCodedError(error)) {
    return problem(ERROR_CODES[error.code].status, error.message, {
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
    problem(ERROR_CODES.INTERNAL_ERROR.status, 'An unexpected error occurred; it has been logged', {
      code: 'INTERNAL_ERROR',
    });
  if (body.status === 401) response.set('WWW-Authenticate', 'Bearer');
  if (body.status === 503) response.set('Retry-After', '1');
  if (body.status >= 500) {
    const correlationId = correlationIdOf(request);
    body.correlationId = correlationId;
    if (body.status !== 503) logFault(error, known !== undefined, correlationId);
  }
  sendProblem(response, body);
}

/** Coded faults (an integrity error) by their message; unforeseen ones with their stack. */
function logFault(error: unknown, coded: boolean, correlationId: string): void {
  const text =
    error instanceof Error ? ((coded ? undefined : error.stack) ?? error.message) : String(error);
  logger.error(`[${correlationId}] ${text}`);
}

/** The error of one batch item that could not be stored; `retryable` says whether sending it again may succeed. */
export interface ItemError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

/**
 * A batch item's error, from the same table as whole answers. Faults (5xx other than outages) are logged under the
 * request's correlation id, once, here.
 */
export function itemError(error: unknown, correlationId: string): ItemError {
  const coded = storeUnavailable(error) ?? (isCodedError(error) ? error : undefined);
  const code: ErrorCode = coded?.code ?? 'INTERNAL_ERROR';
  const answer: CodeAnswer = ERROR_CODES[code];
  if (answer.status >= 500 && answer.status !== 503) {
    logFault(error, coded !== undefined, correlationId);
  }
  return {
    code,
    message: coded?.message ?? 'storing this item failed; it has been logged',
    retryable: answer.retryable,
  };
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    answerProblem(error, http.getRequest<Request>(), http.getResponse<Response>());
  }
}
