import { type ArgumentsHost, ConsoleLogger, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { DOMAIN_ERROR_CODES, DomainError } from '@app/domain';
import { ConcurrencyConflictError } from '@app/event-store';
import { ERROR_CODES } from './error-codes';
import { itemError, ProblemFilter } from './problem.filter';
import { StoreUnavailableError } from './store-unavailable';
import { RequestValidationError } from './validation';
import { CapturingLogger } from '../testing/capturing-logger';

/** What an express response is told: status, headers, content type and body. */
class FakeResponse {
  statusCode = 0;
  headers: Record<string, string> = {};
  contentType = '';
  body: Record<string, unknown> = {};
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  set(name: string, value: string) {
    this.headers[name] = value;
    return this;
  }
  type(value: string) {
    this.contentType = value;
    return this;
  }
  send(text: string) {
    this.body = JSON.parse(text) as Record<string, unknown>;
    return this;
  }
}

describe(ProblemFilter.name, () => {
  const sut = new ProblemFilter();
  let logged: CapturingLogger;

  beforeEach(() => {
    logged = new CapturingLogger();
    Logger.overrideLogger(logged);
  });
  afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

  function answer(error: unknown, correlationId = 'corr-1'): FakeResponse {
    const response = new FakeResponse();
    const request = { headers: { 'x-correlation-id': correlationId } } as unknown as Request;
    const host = {
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
    } as unknown as ArgumentsHost;
    sut.catch(error, host);
    return response;
  }

  it('answers a domain error with the status of its code, as problem+json', () => {
    const response = answer(new DomainError('COMPLAINT_NOT_OPEN', 'complaint c-1 is not open'));
    expect(response.statusCode).toBe(409);
    expect(response.contentType).toBe('application/problem+json');
    expect(response.body).toEqual({
      type: 'urn:crm:problem:complaint-not-open',
      title: 'Conflict',
      status: 409,
      detail: 'complaint c-1 is not open',
      code: 'COMPLAINT_NOT_OPEN',
    });
    expect(logged.errors).toEqual([]);
  });

  it('answers a store outage 503 with Retry-After and the correlation id, without logging it', () => {
    const response = answer(new StoreUnavailableError('MongoDB is not reachable right now'));
    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('1');
    expect(response.body).toMatchObject({ code: 'STORE_UNAVAILABLE', correlationId: 'corr-1' });
    expect(logged.errors).toEqual([]);
  });

  it('answers anything unforeseen 500 INTERNAL_ERROR, logged once with the correlation id, its text kept out', () => {
    const response = answer(new TypeError('cannot read properties of undefined (secret-ish)'));
    expect(response.statusCode).toBe(500);
    expect(response.body).toMatchObject({ code: 'INTERNAL_ERROR', correlationId: 'corr-1' });
    expect(JSON.stringify(response.body)).not.toContain('secret-ish');
    expect(logged.errors).toHaveLength(1);
    expect(logged.errors[0]).toMatch(/^\[corr-1\] TypeError: cannot read/);
  });

  it('lists every validation problem', () => {
    const problems = [
      { field: 'amount', message: 'amount must be a number' },
      { field: 'currency', message: 'currency must be an ISO 4217 currency code' },
    ];
    const response = answer(new RequestValidationError(problems));
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: problems });
  });
});

describe('ERROR_CODES', () => {
  it('gives every domain code a 4xx status that is not retryable', () => {
    for (const code of DOMAIN_ERROR_CODES) {
      expect([code, ERROR_CODES[code].status >= 400 && ERROR_CODES[code].status < 500]).toEqual([
        code,
        true,
      ]);
      expect([code, ERROR_CODES[code].retryable]).toEqual([code, false]);
    }
  });

  it('calls every 503 retryable', () => {
    const unavailable = Object.entries(ERROR_CODES).filter(([, { status }]) => status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const [code, { retryable }] of unavailable)
      expect([code, retryable]).toEqual([code, true]);
  });
});

describe(itemError.name, () => {
  let logged: CapturingLogger;
  beforeEach(() => {
    logged = new CapturingLogger();
    Logger.overrideLogger(logged);
  });
  afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

  it('describes a refusal by its code, not retryable', () => {
    expect(itemError(new DomainError('CUSTOMER_ERASED', 'c-1 is erased'), 'corr-2')).toEqual({
      code: 'CUSTOMER_ERASED',
      message: 'c-1 is erased',
      retryable: false,
    });
  });

  it('tells the emitter a lost race for the stream is worth sending again', () => {
    expect(itemError(new ConcurrencyConflictError('customer-c-1', 17), 'corr-2')).toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      retryable: true,
    });
  });

  it('recognises an outage behind a cause', () => {
    const wrapped = new Error('append failed', {
      cause: new StoreUnavailableError('The event store is not reachable right now'),
    });
    expect(itemError(wrapped, 'corr-2')).toEqual({
      code: 'STORE_UNAVAILABLE',
      message: 'The event store is not reachable right now',
      retryable: true,
    });
    expect(logged.errors).toEqual([]);
  });

  it('hides an unforeseen error behind INTERNAL_ERROR and logs it once with the correlation id', () => {
    expect(itemError(new RangeError('index 7 out of range'), 'corr-3')).toEqual({
      code: 'INTERNAL_ERROR',
      message: 'storing this item failed; it has been logged',
      retryable: true,
    });
    expect(logged.errors).toHaveLength(1);
    expect(logged.errors[0]).toMatch(/^\[corr-3\] RangeError: index 7 out of range/);
  });
});
