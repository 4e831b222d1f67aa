import {
  applyDecorators,
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { AppConfig } from '@app/config';
import { type MongoConnection, waitForPosition } from '@app/read-models';
import { APP_CONFIG, MONGO } from '../infrastructure/tokens';
import { RequestValidationError } from './validation';

const READ_MODELS_KEY = 'crm:read-models';

/** The read models have not reached the position the caller asked for within the wait. Maps to 503. */
export class ReadModelBehindError extends Error {
  readonly code = 'READ_MODEL_BEHIND';
  constructor(
    readonly minPosition: string,
    readonly readModels: readonly string[],
    readonly waitedMs: number,
  ) {
    super(
      `The read models have not caught up with position ${minPosition} within ${waitedMs} ms; retry shortly`,
    );
    this.name = 'ReadModelBehindError';
  }
  get details(): Record<string, unknown> {
    return { minPosition: this.minPosition, readModels: this.readModels, waitedMs: this.waitedMs };
  }
}

/**
 * Read-your-writes for queries: `?minPosition=<commit position>` (from a write's answer) waits until these read
 * models (none named: all) have applied it, up to CRM_MIN_POSITION_WAIT_MS, then answers 503 with Retry-After.
 */
export const WaitsForReadModels = (...readModels: string[]) =>
  applyDecorators(
    SetMetadata(READ_MODELS_KEY, readModels),
    UseInterceptors(MinPositionInterceptor),
    ApiQuery({
      name: 'minPosition',
      required: false,
      description: 'Wait until the read models have applied this commit position',
      schema: { type: 'string', pattern: '^\\d+$' },
    }),
    ApiResponse({
      status: 503,
      description: 'The read models are behind minPosition (Retry-After)',
    }),
  );

@Injectable()
export class MinPositionInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const raw = context.switchToHttp().getRequest<Request>().query.minPosition;
    if (raw === undefined) return next.handle();
    if (typeof raw !== 'string' || !/^\d{1,20}$/.test(raw) || BigInt(raw) >= 2n ** 64n) {
      throw new RequestValidationError([
        {
          field: 'minPosition',
          message: 'minPosition must be a non-negative integer (a commit position)',
        },
      ]);
    }
    const readModels =
      this.reflector.getAllAndOverride<string[]>(READ_MODELS_KEY, [
        context.getHandler(),
        context.getClass(),
      ]) ?? [];
    const waitMs = this.config.minPositionWaitMs;
    if (!(await waitForPosition(this.mongo.db, readModels, BigInt(raw), waitMs))) {
      throw new ReadModelBehindError(raw, readModels, waitMs);
    }
    return next.handle();
  }
}
