import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** Upper bounds (seconds) of the request duration histogram. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface Series {
  method: string;
  route: string;
  status: string;
  count: number;
  sum: number;
  buckets: number[];
}

/**
 * Request counts and latencies per method, route template and status, kept in memory and written in the
 * Prometheus text format. Routes are templates (`/v1/profiles/:id`), never raw paths, so the series stay few.
 */
@Injectable()
export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  /** Express middleware: mounted first, so refused requests (401, 413…) are counted too. */
  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.observe(request.method, routeOf(request), response.statusCode, seconds);
    });
    next();
  };

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        method,
        route,
        status: String(status),
        count: 0,
        sum: 0,
        buckets: BUCKETS.map(() => 0),
      };
      this.series.set(key, series);
    }
    series.count += 1;
    series.sum += seconds;
    BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) series.buckets[index] += 1;
    });
  }

  exposition(): string {
    const lines = [
      '# HELP http_requests_total HTTP requests answered, by method, route and status.',
      '# TYPE http_requests_total counter',
    ];
    const all = [...this.series.values()].sort((a, b) =>
      `${a.route} ${a.method} ${a.status}`.localeCompare(`${b.route} ${b.method} ${b.status}`),
    );
    for (const s of all) lines.push(`http_requests_total${labels(s)} ${s.count}`);
    lines.push(
      '# HELP http_request_duration_seconds Time to answer HTTP requests, by method, route and status.',
      '# TYPE http_request_duration_seconds histogram',
    );
    for (const s of all) {
      BUCKETS.forEach((bound, index) => {
        lines.push(
          `http_request_duration_seconds_bucket${labels(s, String(bound))} ${s.buckets[index]}`,
        );
      });
      lines.push(`http_request_duration_seconds_bucket${labels(s, '+Inf')} ${s.count}`);
      lines.push(`http_request_duration_seconds_sum${labels(s)} ${s.sum}`);
      lines.push(`http_request_duration_seconds_count${labels(s)} ${s.count}`);
    }
    return lines.join('\n') + '\n';
  }
}

function routeOf(request: Request): string {
  const route = (request as Request & { route?: { path?: unknown } }).route?.path;
  return typeof route === 'string' ? `${request.baseUrl}${route}` : 'unmatched';
}

function labels(series: Series, le?: string): string {
  const pairs = [
    ['method', series.method],
    ['route', series.route],
    ['status', series.status],
    ...(le === undefined ? [] : [['le', le]]),
  ];
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`;
}

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
