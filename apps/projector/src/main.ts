import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@app/config';
import { connectEventStore } from '@app/event-store';
import { connectMongo, MongoCheckpointStore } from '@app/read-models';
import { PositionTracker } from './position-tracker';

async function main(): Promise<void> {
  const logger = new Logger('Projector');
  const config = loadConfig();
  if (!config.eventStoreUrl || !config.mongoUrl) {
    throw new ConfigError(['EVENTSTORE_URL and MONGODB_URL must be set for the projector']);
  }
  const client = connectEventStore(config.eventStoreUrl);
  const mongo = await connectMongo(config.mongoUrl, config.mongoDb);
  const tracker = new PositionTracker(client, new MongoCheckpointStore(mongo.db));
  await tracker.start();
  logger.log('projector running');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping`);
    void tracker
      .stop()
      .then(() => Promise.allSettled([client.dispose(), mongo.close()]))
      .then(() => process.exit(0));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
