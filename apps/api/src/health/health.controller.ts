import { Controller, Get, HttpStatus, Inject, Logger, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type EventStoreDBClient, headOfStreams } from '@app/event-store';
import { CUSTOMER_STREAM_PREFIX } from '@app/domain';
import {
  MongoCheckpointStore,
  type MongoConnection,
  pingMongo,
  POSITION_TRACKER,
} from '@app/read-models';
import { Public } from '../http/auth.guard';
import { EVENT_STORE, MONGO } from '../infrastructure/tokens';

const logger = new Logger('Health');

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
    // Unauthenticated callers see that a store is down, not the client's error text; the log has that.
    logger.warn(`readiness check failed: ${(error as Error).message}`);
    return { status: 'down', error: 'not reachable' };
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
  @ApiOperation({
    summary:
      "The event store and MongoDB answer (503 otherwise); the projector's position beside the head of $all",
  })
  async ready(@Res({ passthrough: true }) response: Response) {
    let head: bigint | undefined;
    let checkpoint: bigint | undefined;
    const [eventStore, mongodb] = await Promise.all([
      check(async () => {
        head = await headOfStreams(this.eventStore, CUSTOMER_STREAM_PREFIX);
      }),
      check(async () => {
        await pingMongo(this.mongo.db);
        checkpoint = (await new MongoCheckpointStore(this.mongo.db).load(POSITION_TRACKER))?.commit;
      }),
    ]);
    const up = eventStore.status === 'up' && mongodb.status === 'up';
    response.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    // The projector's lag is reported, not judged: a rebuild or a burst of ingestion is no reason to stop
    // taking writes.
    const projector = {
      checkpoint: checkpoint?.toString() ?? null,
      head: head?.toString() ?? null,
      caughtUp: head === undefined || (checkpoint !== undefined && checkpoint >= head),
    };
    return { status: up ? 'up' : 'down', checks: { eventStore, mongodb }, projector };
  }
}
