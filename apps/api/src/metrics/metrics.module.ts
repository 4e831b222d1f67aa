import { Global, Module } from '@nestjs/common';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { GetMetricsHandler } from './queries/get-metrics.query';

/** `GET /metrics`; HttpMetrics is global so the HTTP setup can mount its middleware. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [HttpMetrics, GetMetricsHandler],
  exports: [HttpMetrics],
})
export class MetricsModule {}
