import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CUSTOMER_STREAM_PREFIX } from '@app/domain';
import { type EventStoreDBClient, headOfStreams } from '@app/event-store';
import {
  MongoCheckpointStore,
  type MongoConnection,
  pingMongo,
  POSITION_TRACKER,
} from '@app/read-models';
import { EVENT_STORE, MONGO } from '../infrastructure/tokens';

/** A store that has not answered by then is reported down: readiness must answer even when a store hangs. */
export const CHECK_TIMEOUT_MS = 2000;

/**
 * Whether each store answers. Each check reads what the projector's lag is measured by, so readiness costs one
 * round trip per store: the event store the head of the customer streams, MongoDB the projector's checkpoint.
 */
@Injectable()
export class StoreHealthIndicators {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly eventStore: EventStoreDBClient,
    @Inject(MONGO) private readonly mongo: MongoConnection,
  ) {}

  /** Up with `head`, the commit position of the newest customer event (null when there is none). */
  eventStoreCheck() {
    return this.health
      .check('eventStore')
      .attempt(async () => {
        const head = await headOfStreams(this.eventStore, CUSTOMER_STREAM_PREFIX);
        return { head: head?.toString() ?? null };
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  /** Up with `checkpoint`, the position the projector has applied (null before its first batch). */
  mongodbCheck() {
    return this.health
      .check('mongodb')
      .attempt(async () => {
        await pingMongo(this.mongo.db);
        const checkpoint = await new MongoCheckpointStore(this.mongo.db).load(POSITION_TRACKER);
        return { checkpoint: checkpoint?.commit.toString() ?? null };
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }
}
