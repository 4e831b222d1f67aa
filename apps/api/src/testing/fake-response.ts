import type { Response } from 'express';

/** The part of express's response controllers use: the status, headers and JSON body they set. */
export class FakeResponse {
  statusCode = 200;
  readonly headers: Record<string, string> = {};
  body: unknown;

  status(code: number): this {
    this.statusCode = code;
    return this;
  }

  setHeader(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }

  json(body: unknown): this {
    this.body = body;
    return this;
  }

  asResponse(): Response {
    return this as unknown as Response;
  }
}
