import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DEFAULT_POLICY_RULES } from '@app/domain';
import { connectEventStore, type EventStoreDBClient } from '@app/event-store';
import { connectMongo, MongoCustomerKeyStore, type MongoConnection } from '@app/read-models';
import { uniqueId } from '@app/testing';
import { createCustomerStore } from '../infrastructure/customer-store';
import { CHECK_TIMEOUT_MS, StoreHealthIndicators } from './store.health';

/** A TCP server that accepts connections and never says a word: a store that hangs. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe(StoreHealthIndicators.name, () => {
  let eventStore: EventStoreDBClient;
  let mongo: MongoConnection;

  beforeAll(async () => {
    eventStore = connectEventStore(process.env.EVENTSTORE_URL!);
    mongo = await connectMongo(process.env.MONGODB_URL!, uniqueId('health').replace(/-/g, '_'));
  });
  afterAll(async () => {
    await mongo.db.dropDatabase();
    await Promise.all([mongo.close(), eventStore.dispose()]);
  });

  it('reports both stores up, with the head of the customer streams and no checkpoint in a new database', async () => {
    const customers = createCustomerStore(
      eventStore,
      new MongoCustomerKeyStore(mongo.db),
      DEFAULT_POLICY_RULES,
    );
    const customerId = uniqueId('health');
    const registered = await customers.execute(customerId, {
      command: { type: 'RegisterCustomer', customerId, now: new Date().toISOString() },
      context: { actor: 'ingest:health-spec', source: 'health-spec', correlationId: randomUUID() },
      now: new Date().toISOString(),
    });
    const sut = new StoreHealthIndicators(new HealthIndicatorService(), eventStore, mongo);
    const [events, documents] = await Promise.all([sut.eventStoreCheck(), sut.mongodbCheck()]);
    expect(events.eventStore).toEqual(
      expect.objectContaining({ status: 'up', head: expect.stringMatching(/^\d+$/) }),
    );
    expect(BigInt(events.eventStore.head as string)).toBeGreaterThanOrEqual(
      BigInt(registered.position!),
    );
    expect(documents.mongodb).toEqual(expect.objectContaining({ status: 'up', checkpoint: null }));
  });

  it('reports an event store that never answers down once the timeout has passed', async () => {
    const silent = await silentServer();
    const hanging = connectEventStore(`esdb://127.0.0.1:${silent.port}?tls=false`);
    try {
      const sut = new StoreHealthIndicators(new HealthIndicatorService(), hanging, mongo);
      const started = Date.now();
      const result = await sut.eventStoreCheck();
      const waited = Date.now() - started;
      expect(result.eventStore).toEqual(
        expect.objectContaining({ status: 'down', message: expect.stringMatching(/timeout/) }),
      );
      expect(waited).toBeGreaterThanOrEqual(CHECK_TIMEOUT_MS - 50);
      expect(waited).toBeLessThan(CHECK_TIMEOUT_MS + 1500);
    } finally {
      await silent.close();
      await hanging.dispose().catch(() => undefined);
    }
  });
});
