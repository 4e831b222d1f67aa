import { Inject, Logger } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { AppConfig } from '@app/config';
import { CUSTOMER_STREAM_PREFIX, PERSONAL_FIELDS, upcast } from '@app/domain';
import { type EventStoreDBClient, StreamReader } from '@app/event-store';
import {
  customerProjections,
  type MongoConnection,
  prepareRebuild,
  projectionNamed,
  storedEventSource,
} from '@app/read-models';
import { APP_CONFIG, EVENT_STORE, MONGO } from '../../infrastructure/tokens';

export interface RebuildHandle {
  projection: string;
  version: number;
  /** The rebuild's checkpoint, listed with its progress by GET /v1/admin/projections. */
  checkpoint: string;
  status: string;
}

export class RebuildProjectionCommand extends Command<RebuildHandle> {
  constructor(readonly name: string) {
    super();
  }
}

/**
 * Starts a rebuild in this process and answers once it holds its lease: the work (from position zero, then the
 * switch) goes on after the answer, and its progress is in the projections' status.
 */
@CommandHandler(RebuildProjectionCommand)
export class RebuildProjectionHandler implements ICommandHandler<RebuildProjectionCommand> {
  private readonly logger = new Logger('Rebuild');

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStoreDBClient,
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ name }: RebuildProjectionCommand): Promise<RebuildHandle> {
    const projection = projectionNamed(customerProjections(this.config.rules), name);
    const reader = new StreamReader(this.eventStore, { upcast, personalFields: PERSONAL_FIELDS });
    const rebuild = await prepareRebuild({
      db: this.mongo.db,
      projection,
      source: storedEventSource(reader, this.eventStore, CUSTOMER_STREAM_PREFIX),
      leaseMs: this.config.projector.leaseMs,
      progressEveryMs: 10_000,
      onProgress: (p) =>
        this.logger.log(
          `${p.projection} v${p.version} ${p.phase}: ${p.events} events, ${p.eventsPerSecond} events/s`,
        ),
    });
    void rebuild.run().then(
      (result) =>
        this.logger.log(
          `${result.projection}: version ${result.version} is live (${result.events} events, ${result.eventsPerSecond} events/s)`,
        ),
      (error: unknown) =>
        this.logger.error(
          `rebuild of ${name} failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
    return {
      projection: rebuild.projection,
      version: rebuild.version,
      checkpoint: rebuild.checkpoint,
      status: '/v1/admin/projections',
    };
  }
}
