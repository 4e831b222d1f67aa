import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { BACKWARDS, END, type EventStoreDBClient } from '@eventstore/db-client';
import { type MongoConnection, pingMongo } from '@app/read-models';
import { Public } from '../http/auth.guard';
import { EVENT_STORE, MONGO } from '../infrastructure/tokens';

type Check = { status: 'up' } | { status: 'down'; error: string };

async function check(probe: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStoreDBClient,
    @Inject(MONGO) private readonly mongo: MongoConnection,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'The process is up' })
  live() {
    return { status: 'up' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'The event store and MongoDB answer; 503 otherwise' })
  async ready(@Res({ passthrough: true }) response: Response) {
    const [eventStore, mongodb] = await Promise.all([
      check(async () => {
        for await (const _ of this.eventStore.readAll({
          direction: BACKWARDS,
          fromPosition: END,
          maxCount: 1,
        })) {
          break;
        }
      }),
      check(() => pingMongo(this.mongo.db)),
    ]);
    const up = eventStore.status === 'up' && mongodb.status === 'up';
    response.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: up ? 'up' : 'down', checks: { eventStore, mongodb } };
  }
}
