import express, { type NextFunction, type Request, type Response } from 'express';
import type { ApiKeyRegistry, AuthenticatedRequest } from './auth.guard';
import { problem } from './problem';
import { answerProblem, sendProblem, toProblem } from './problem.filter';

/** Largest body accepted: a batch of 1 000 touchpoints with long notes fits. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

class ForbiddenKeyError extends Error {
  readonly status = 400;
  readonly type = 'entity.forbidden.key';
  constructor(key: string) {
    super(`the key "${key}" is not allowed in a request body`);
  }
}

/** Rejects prototype-pollution keys while the JSON is parsed, before any object is built from it. */
function rejectForbiddenKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKeyError(key);
  return value;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function requireJson(request: Request, response: Response, next: NextFunction): void {
  const hasBody =
    Number(request.headers['content-length'] ?? 0) > 0 || 'transfer-encoding' in request.headers;
  if (
    WRITE_METHODS.has(request.method) &&
    hasBody &&
    !request.is(['application/json', 'application/*+json'])
  ) {
    sendProblem(
      response,
      problem(415, 'Request bodies must be JSON (Content-Type: application/json)', {
        code: 'UNSUPPORTED_MEDIA_TYPE',
      }),
    );
    return;
  }
  next();
}

/** The last error handler of the middleware chain: body errors, and anything a middleware before it threw. */
function bodyErrors(
  error: unknown,
  request: Request,
  response: Response,
  _next: NextFunction,
): void {
  answerProblem(error, request, response);
}

export function bodyParsing(): Array<express.RequestHandler | express.ErrorRequestHandler> {
  return [
    requireJson,
    express.json({
      limit: MAX_BODY_BYTES,
      strict: true,
      reviver: rejectForbiddenKeys,
      type: ['application/json', 'application/*+json'],
    }),
    bodyErrors,
  ];
}

/** Routes under /v1 need a key; the guard checks roles later, this only refuses unknown callers early. */
export function authenticateFirst(registry: ApiKeyRegistry): express.RequestHandler {
  return (request, response, next) => {
    if (!request.path.toLowerCase().startsWith('/v1/')) {
      next();
      return;
    }
    try {
      (request as AuthenticatedRequest).principal = registry.authenticate(
        request.headers.authorization,
      );
      next();
    } catch (error) {
      const known = toProblem(error);
      if (!known) throw error;
      response.set('WWW-Authenticate', 'Bearer');
      sendProblem(response, known);
    }
  };
}
