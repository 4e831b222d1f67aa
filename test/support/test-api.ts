import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@app/config';
import { connectEventStore, type EventStoreDBClient } from '@app/event-store';
import { connectMongo, type MongoConnection } from '@app/read-models';
import { testServers, uniqueId } from '@app/testing';
import { ApiModule, configureHttp } from '@apps/api';

export interface TestApi {
  app: NestExpressApplication;
  /** The API's HTTP server, for supertest. */
  http: Parameters<typeof import('supertest')>[0];
  eventStore: EventStoreDBClient;
  mongo: MongoConnection;
  /** The MongoDB database of this API's read models and keys (unique per test API). */
  database: string;
  close(): Promise<void>;
}

export const KEYS = {
  ingest: 'Bearer dev-ingest',
  analyst: 'Bearer dev-analyst',
  auditor: 'Bearer dev-auditor',
  admin: 'Bearer dev-admin',
} as const;

/** Boots the real API module with the production HTTP pipeline against the test servers. */
export async function startTestApi(env: NodeJS.ProcessEnv = {}): Promise<TestApi> {
  const { eventStoreUrl, mongoUrl } = testServers();
  const database = uniqueId('e2e').replace(/-/g, '_');
  const config = loadConfig({
    EVENTSTORE_URL: eventStoreUrl,
    MONGODB_URL: mongoUrl,
    MONGODB_DB: database,
    // Scheduled reviews would append transitions to other suites' customers mid-test; tests run reviews by route.
    CRM_REVIEW_INTERVAL_MINUTES: '0',
    // Test projectors catch up on every suite's events on a loaded machine: queries wait for them, not a clock.
    CRM_MIN_POSITION_WAIT_MS: '45000',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({
    imports: [ApiModule.forRoot(config)],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: false,
  });
  configureHttp(app);
  await app.init();
  const eventStore = connectEventStore(eventStoreUrl);
  const mongo = await connectMongo(mongoUrl, config.mongoDb);
  return {
    app,
    http: app.getHttpServer() as Parameters<typeof import('supertest')>[0],
    eventStore,
    mongo,
    database,
    async close() {
      await app.close();
      await eventStore.dispose();
      await mongo.close();
    },
  };
}

/** Two APIs sharing one event store and one key and read-model database, as replicas would. */
export async function startTwoTestApis(): Promise<[TestApi, TestApi]> {
  const database = uniqueId('shared').replace(/-/g, '_');
  const first = await startTestApi({ MONGODB_DB: database });
  const second = await startTestApi({ MONGODB_DB: database });
  return [first, second];
}
