import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { CUSTOMER_STREAM_PREFIX } from '@app/domain';
import { countEventsAfter, type EventStoreDBClient, headOfStreams } from '@app/event-store';
import {
  type MongoConnection,
  projectionStatus,
  type ProjectionStatus,
  readModelVersions,
} from '@app/read-models';
import { EVENT_STORE, MONGO } from '../../infrastructure/tokens';

export interface ProjectionsView {
  /** Commit position of the newest customer event, null when none (or the event store did not answer). */
  head: string | null;
  projections: ProjectionStatus[];
  /** Read models rebuilt at least once: the live version, the old copies kept, the last rebuild. */
  readModels: Array<{
    name: string;
    live: number;
    kept: string[];
    switchedAt: string;
    lastRebuild: { version: number; events: number; ms: number; eventsPerSecond: number };
  }>;
}

export class GetProjectionsQuery extends Query<ProjectionsView> {
  /** With `countEvents`, lag is also counted in events (bounded: a few thousand records of `$all` are read). */
  constructor(readonly countEvents = true) {
    super();
  }
}

/** Each read model's checkpoint document beside the head of the customer streams. */
@QueryHandler(GetProjectionsQuery)
export class GetProjectionsHandler implements IQueryHandler<GetProjectionsQuery> {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStoreDBClient,
    @Inject(MONGO) private readonly mongo: MongoConnection,
  ) {}

  async execute({ countEvents }: GetProjectionsQuery): Promise<ProjectionsView> {
    const head = await headOfStreams(this.eventStore, CUSTOMER_STREAM_PREFIX);
    // Versions before checkpoints: a rebuild drops its checkpoint and then records the switch, so a switch read here
    // implies the checkpoints read next no longer list the rebuild (the other order could show both).
    const versions = await readModelVersions(this.mongo.db).list();
    const projections = await projectionStatus(this.mongo.db, head, {
      ...(countEvents
        ? {
            eventsAfter: (position) =>
              countEventsAfter(this.eventStore, CUSTOMER_STREAM_PREFIX, position),
          }
        : {}),
    });
    return {
      head: head?.toString() ?? null,
      projections,
      readModels: versions.map((v) => ({
        name: v._id,
        live: v.live,
        kept: v.kept ?? [],
        switchedAt: v.switchedAt.toISOString(),
        lastRebuild: v.lastRebuild,
      })),
    };
  }
}
