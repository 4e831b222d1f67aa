import { Logger } from '@nestjs/common';
import { type AppConfig, ConfigError } from '@app/config';
import { CUSTOMER_STREAM_PREFIX, PERSONAL_FIELDS, upcast } from '@app/domain';
import {
  disposeWithin,
  connectEventStore,
  type EventStoreDBClient,
  headOfStreams,
  StreamReader,
} from '@app/event-store';
import {
  connectMongo,
  type MongoConnection,
  type Projection,
  ProjectionRunner,
  type RunnerProgress,
} from '@app/read-models';

export interface RunningProjector {
  runner: ProjectionRunner;
  /** Stops after the batch in hand, gives the leases up and closes the connections. */
  stop(): Promise<void>;
}

/**
 * The projector's composition: the customer streams of `$all` (personal fields left sealed: read models keep them
 * encrypted at rest), upcast by the domain, fed to the runner. Tests start it with projections of their own.
 */
export async function startProjector(
  config: AppConfig,
  projections: readonly Projection[],
  options: { progressEveryMs?: number } = {},
): Promise<RunningProjector> {
  const logger = new Logger('Projector');
  if (!config.eventStoreUrl || !config.mongoUrl) {
    throw new ConfigError(['EVENTSTORE_URL and MONGODB_URL must be set for the projector']);
  }
  const client = connectEventStore(config.eventStoreUrl);
  let mongo: MongoConnection;
  try {
    mongo = await connectMongo(config.mongoUrl, config.mongoDb);
  } catch (error) {
    await client.dispose();
    throw error;
  }
  const reader = new StreamReader(client, { upcast, personalFields: PERSONAL_FIELDS });
  const runner = new ProjectionRunner({
    db: mongo.db,
    projections,
    source: (after) =>
      reader.subscribe({ prefix: CUSTOMER_STREAM_PREFIX, afterPosition: after, open: 'sealed' }),
    ...config.projector,
    logger: {
      log: (message) => logger.log(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
  });
  await runner.start();
  logger.log(
    `running ${projections.map((p) => p.name).join(', ')} as ${runner.owner} ` +
      `(batches of ${config.projector.batchSize} / ${config.projector.batchMs} ms, on error: ${config.projector.onError})`,
  );
  const progress = reportProgress(client, runner, logger, options.progressEveryMs ?? 5000);
  return {
    runner,
    async stop() {
      clearInterval(progress);
      await runner.stop();
      await Promise.allSettled([disposeWithin(client), mongo.close()]);
    },
  };
}

/** Every few seconds while events flow: events per second, position and how far behind the head it is. */
function reportProgress(
  client: EventStoreDBClient,
  runner: ProjectionRunner,
  logger: Logger,
  everyMs: number,
): NodeJS.Timeout {
  let last: RunnerProgress = runner.progress();
  let lastAt = Date.now();
  let reporting = false;
  const timer = setInterval(() => {
    if (reporting) return;
    const now = runner.progress();
    const at = Date.now();
    const handled = now.eventsHandled - last.eventsHandled;
    if (handled === 0) return;
    reporting = true;
    void headOfStreams(client, CUSTOMER_STREAM_PREFIX)
      .catch(() => undefined)
      .then((head) => {
        const position = now.position?.commit;
        const lag =
          head === undefined || position === undefined
            ? 'unknown'
            : (head > position ? head - position : 0n).toString();
        const rate = Math.round((handled * 1000) / Math.max(1, at - lastAt));
        logger.log(
          `${rate} events/s, at commit position ${position?.toString() ?? '-'}, ${lag} behind the head; ` +
            `holding ${now.held.join(', ') || 'nothing'}`,
        );
        last = now;
        lastAt = at;
      })
      .finally(() => {
        reporting = false;
      });
  }, everyMs);
  timer.unref();
  return timer;
}

/** SIGINT / SIGTERM: stop after the batch in hand, then exit. */
export function stopOnSignals(projector: RunningProjector, logger = new Logger('Projector')): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping after the current batch`);
    void projector.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`stopping failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
