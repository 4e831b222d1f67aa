import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, type HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../http/auth.guard';
import { StoreHealthIndicators } from './store.health';

type Check = { status: 'up' } | { status: 'down'; error: string };

// Unauthenticated callers see that a store is down, not the client's error text; terminus logs that.
const publicCheck = (detail: { status: string } | undefined): Check =>
  detail?.status === 'up' ? { status: 'up' } : { status: 'down', error: 'not reachable' };

const position = (value: unknown): bigint | undefined =>
  typeof value === 'string' ? BigInt(value) : undefined;

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly stores: StoreHealthIndicators,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up' })
  live() {
    return { status: 'up' };
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary:
      "The event store and MongoDB answer (503 otherwise); the projector's position beside the head of $all",
  })
  @ApiResponse({ status: 200, description: '{ status: "up", checks, projector }' })
  @ApiResponse({
    status: 503,
    description: 'A store did not answer within 2 s: { status: "down", ... }',
  })
  async ready(@Res({ passthrough: true }) response: Response) {
    const result = await this.health
      .check([() => this.stores.eventStoreCheck(), () => this.stores.mongodbCheck()])
      .catch((error: unknown): HealthCheckResult => {
        // Terminus answers a failed check with the result inside a 503 exception.
        if (error instanceof ServiceUnavailableException) {
          return error.getResponse() as HealthCheckResult;
        }
        throw error;
      });
    const up = result.status === 'ok';
    response.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    const { eventStore, mongodb } = result.details;
    const head = position(eventStore?.head);
    const checkpoint = position(mongodb?.checkpoint);
    // The projector's lag is reported, not judged: a rebuild or a burst of ingestion is no reason to stop
    // taking writes.
    const projector = {
      checkpoint: checkpoint?.toString() ?? null,
      head: head?.toString() ?? null,
      caughtUp: head === undefined || (checkpoint !== undefined && checkpoint >= head),
    };
    return {
      status: up ? 'up' : 'down',
      checks: { eventStore: publicCheck(eventStore), mongodb: publicCheck(mongodb) },
      projector,
    };
  }
}
