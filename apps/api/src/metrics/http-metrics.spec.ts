import { EventEmitter } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import { escapeLabel, HttpMetrics } from './http-metrics';

/** The value of one sample line of the exposition, or undefined when the series is not there. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe(HttpMetrics.name, () => {
  let sut: HttpMetrics;

  beforeEach(() => {
    sut = new HttpMetrics();
  });

  it('counts requests per method, route and status, with cumulative latency buckets', () => {
    sut.observe('GET', '/v1/profiles/:id', 200, 0.004);
    sut.observe('GET', '/v1/profiles/:id', 200, 0.3);
    sut.observe('GET', '/v1/profiles/:id', 404, 0.02);
    const text = sut.exposition();
    const ok = '{method="GET",route="/v1/profiles/:id",status="200"';
    expect(sample(text, `http_requests_total${ok}}`)).toBe(2);
    expect(
      sample(text, 'http_requests_total{method="GET",route="/v1/profiles/:id",status="404"}'),
    ).toBe(1);
    expect(sample(text, `http_request_duration_seconds_bucket${ok},le="0.005"}`)).toBe(1);
    expect(sample(text, `http_request_duration_seconds_bucket${ok},le="0.25"}`)).toBe(1);
    expect(sample(text, `http_request_duration_seconds_bucket${ok},le="0.5"}`)).toBe(2);
    expect(sample(text, `http_request_duration_seconds_bucket${ok},le="+Inf"}`)).toBe(2);
    expect(sample(text, `http_request_duration_seconds_sum${ok}}`)).toBeCloseTo(0.304);
    expect(sample(text, `http_request_duration_seconds_count${ok}}`)).toBe(2);
  });

  it('declares each metric family once, ahead of its samples, and ends with a newline', () => {
    sut.observe('POST', '/v1/touchpoints', 201, 0.01);
    sut.observe('GET', '/v1/profiles', 200, 0.01);
    const lines = sut.exposition().split('\n');
    expect(lines.filter((l) => l === '# TYPE http_requests_total counter')).toHaveLength(1);
    expect(lines.indexOf('# TYPE http_request_duration_seconds histogram')).toBeGreaterThan(
      lines.findLastIndex((l) => l.startsWith('http_requests_total{')),
    );
    expect(lines.at(-1)).toBe('');
  });

  it('escapes label values so a route cannot break the format', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });

  describe('middleware', () => {
    /** A request through the middleware, answered with `status` once it has passed on. */
    function handle(request: Partial<Request>, status: number): { passedOn: boolean } {
      const response = Object.assign(new EventEmitter(), { statusCode: status });
      let passedOn = false;
      const next: NextFunction = () => {
        passedOn = true;
      };
      sut.middleware(request as Request, response as unknown as Response, next);
      response.emit('finish');
      return { passedOn };
    }

    it('counts a matched request under its route template, never the raw path', () => {
      const { passedOn } = handle(
        { method: 'GET', baseUrl: '/v1/profiles', route: { path: '/:id' } } as never,
        200,
      );
      expect(passedOn).toBe(true);
      const text = sut.exposition();
      expect(
        sample(text, 'http_requests_total{method="GET",route="/v1/profiles/:id",status="200"}'),
      ).toBe(1);
    });

    it('counts a request no route matched (refused before routing) as unmatched', () => {
      handle({ method: 'POST', baseUrl: '' }, 401);
      expect(
        sample(
          sut.exposition(),
          'http_requests_total{method="POST",route="unmatched",status="401"}',
        ),
      ).toBe(1);
    });
  });
});
