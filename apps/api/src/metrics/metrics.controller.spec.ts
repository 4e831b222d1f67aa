import { HEADERS_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { FakeBus } from '../testing/fake-bus';
import { routeAccess } from '../testing/route-access';
import { MetricsController } from './metrics.controller';
import { GetMetricsQuery } from './queries/get-metrics.query';

describe(MetricsController.name, () => {
  let bus: FakeBus;
  let sut: MetricsController;

  beforeEach(() => {
    bus = new FakeBus();
    sut = new MetricsController(bus.asQueryBus());
  });

  it('answers the exposition text the query builds', async () => {
    bus.answer = () => 'http_requests_total{method="GET"} 3\n';
    expect(await sut.scrape()).toBe('http_requests_total{method="GET"} 3\n');
    expect(bus.only(GetMetricsQuery)).toBeInstanceOf(GetMetricsQuery);
  });

  it('asks no key, so Prometheus can scrape it', () => {
    expect(routeAccess(MetricsController, 'scrape')).toBe('public');
  });

  it('answers in the Prometheus text format', () => {
    const headers = new Reflector().get<Array<{ name: string; value: string }>>(
      HEADERS_METADATA,
      MetricsController.prototype.scrape,
    );
    expect(headers).toContainEqual({
      name: 'Content-Type',
      value: 'text/plain; version=0.0.4; charset=utf-8',
    });
  });
});
