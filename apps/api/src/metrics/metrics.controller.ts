import { Controller, Get, Header } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../http/auth.guard';
import { GetMetricsQuery } from './queries/get-metrics.query';

@ApiTags('operations')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'HTTP requests (count and latency histogram per route and status) and, per read model, events projected, ' +
      'batches, last batch size and lag.',
  })
  scrape(): Promise<string> {
    return this.queries.execute(new GetMetricsQuery());
  }
}
