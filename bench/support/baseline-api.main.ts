// For bench:ingest only: the API exactly as apps/api/src/main.ts composes and serves it, without what
// BENCH_API_BASELINE names (comma-separated; default `sealing,chaining`), to measure what each costs on the real
// ingestion routes:
// - sealing, chaining: the customer store is constructed with the decider store's benchmark baseline (personal
//   fields in plaintext, no hash chain);
// - claims: the touchpoint id store claims nothing and finds no other send (every id first and claimed for the
//   customer sent, with no round trip), so there is no claim before an append, no check after it and no read-back
//   of an append of caller-chosen ids either: neither TOUCHPOINT_ID_REUSED nor exactly one 201 across processes, as
//   before the ingestion hardening.
// It lives under bench/, which the build leaves out, so no deployed process can start it: production has no way to
// turn any of them off.
import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { loadConfig } from '@app/config';
import type { CustomerKeyStore, EventStoreDBClient } from '@app/event-store';
import type { ClaimResult, TouchpointClaim, TouchpointIdStore } from '@app/read-models';
import {
  ApiModule,
  createCustomerStore,
  CUSTOMER_KEYS,
  CUSTOMER_STORE,
  EVENT_STORE,
  serveApi,
  TOUCHPOINT_IDS,
} from '@apps/api';

const LEFT_OUT = ['sealing', 'chaining', 'claims'] as const;

function leftOut(): Set<(typeof LEFT_OUT)[number]> {
  const named = (process.env.BENCH_API_BASELINE ?? 'sealing,chaining').split(',');
  const unknown = named.filter((name) => !(LEFT_OUT as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_API_BASELINE: unknown ${unknown.join(', ')} (known: ${LEFT_OUT.join(', ')})`,
    );
  }
  return new Set(named as Array<(typeof LEFT_OUT)[number]>);
}

/** Claims nothing: every id is taken as claimed first, for the customer the send names. */
const noClaims: Pick<TouchpointIdStore, 'claim' | 'contested'> = {
  claim: (claims: readonly TouchpointClaim[]) =>
    Promise.resolve(
      new Map<string, ClaimResult>(
        claims.map(({ eventId, customerId }) => [eventId, { owner: customerId, first: true }]),
      ),
    ),
  contested: () => Promise.resolve(false),
};

async function main(): Promise<void> {
  const config = loadConfig();
  const without = leftOut();
  const builder = Test.createTestingModule({ imports: [ApiModule.forRoot(config)] });
  if (without.has('claims')) builder.overrideProvider(TOUCHPOINT_IDS).useValue(noClaims);
  const moduleRef = await builder
    .overrideProvider(CUSTOMER_STORE)
    .useFactory({
      inject: [EVENT_STORE, CUSTOMER_KEYS],
      factory: (client: EventStoreDBClient, keys: CustomerKeyStore) =>
        createCustomerStore(client, keys, config.rules, {
          benchmarkBaseline: {
            plaintext: without.has('sealing'),
            unchained: without.has('chaining'),
          },
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
