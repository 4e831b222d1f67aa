// For bench:ingest only: the API exactly as apps/api/src/main.ts composes and serves it, except that its customer
// store is constructed with the decider store's benchmark baseline (personal fields in plaintext, no hash chain),
// to measure what sealing and chaining cost on the real ingestion routes. It lives under bench/, which the build
// leaves out, so no deployed process can start it: production has no way to turn either off.
import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { loadConfig } from '@app/config';
import type { CustomerKeyStore, EventStoreDBClient } from '@app/event-store';
import {
  ApiModule,
  createCustomerStore,
  CUSTOMER_KEYS,
  CUSTOMER_STORE,
  EVENT_STORE,
  serveApi,
} from '@apps/api';

async function main(): Promise<void> {
  const config = loadConfig();
  const moduleRef = await Test.createTestingModule({ imports: [ApiModule.forRoot(config)] })
    .overrideProvider(CUSTOMER_STORE)
    .useFactory({
      inject: [EVENT_STORE, CUSTOMER_KEYS],
      factory: (client: EventStoreDBClient, keys: CustomerKeyStore) =>
        createCustomerStore(client, keys, config.rules, {
          benchmarkBaseline: { plaintext: true, unchained: true },
        }),
    })
    // The testing module's own logger prints errors only; the bench waits for the line serveApi logs.
    .setLogger(new ConsoleLogger())
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: ['log', 'warn', 'error'],
  });
  await serveApi(app, config);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
