import { loadConfig } from '@app/config';
import { CUSTOMER_STREAM_PREFIX, upcast } from '@app/domain';
import { connectEventStore, StreamReader } from '@app/event-store';
import { connectMongo, customerProjections, ProjectionRunner } from '@app/read-models';
import { testServers } from '@app/testing';

export interface TestProjector {
  runner: ProjectionRunner;
  stop(): Promise<void>;
}

/** The projector's read models, run in this process against the test API's database. */
export async function startTestProjector(database: string): Promise<TestProjector> {
  const { eventStoreUrl, mongoUrl } = testServers();
  const config = loadConfig({
    EVENTSTORE_URL: eventStoreUrl,
    MONGODB_URL: mongoUrl,
    MONGODB_DB: database,
  });
  const client = connectEventStore(eventStoreUrl);
  const mongo = await connectMongo(mongoUrl, database);
  const reader = new StreamReader(client, { upcast });
  const runner = new ProjectionRunner({
    db: mongo.db,
    projections: customerProjections(config.rules),
    source: (after) =>
      reader.subscribe({ prefix: CUSTOMER_STREAM_PREFIX, afterPosition: after, open: 'sealed' }),
    batchMs: 20,
  });
  await runner.start();
  return {
    runner,
    async stop() {
      await runner.stop();
      await Promise.allSettled([client.dispose(), mongo.close()]);
    },
  };
}
