import { loadConfig } from '@app/config';
import { customerProjections } from '@app/read-models';
import { testServers } from '@app/testing';
import { type RunningProjector, startProjector } from '@apps/projector';

/** The projector's read models, run in this process against the test API's database. */
export async function startTestProjector(database: string): Promise<RunningProjector> {
  const { eventStoreUrl, mongoUrl } = testServers();
  const config = loadConfig({
    EVENTSTORE_URL: eventStoreUrl,
    MONGODB_URL: mongoUrl,
    MONGODB_DB: database,
    PROJECTOR_BATCH_MS: '20',
  });
  return startProjector(config, customerProjections(config.rules), { progressEveryMs: 60_000 });
}
