import type { ChildProcess } from 'node:child_process';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { MongoClient } from 'mongodb';
import { testServers, uniqueId, until } from '@app/testing';
import {
  type ProjectorProcess as Running,
  startProjectorProcess,
} from './support/projector-os-process';

/** The projector as its own OS process (from the sources), running the counting projection over `streams`. */
function startProjector(database: string, streams: string, delayMs: number): Promise<Running> {
  return startProjectorProcess(
    ['test/support/projector-process.ts', 'counts', streams, String(delayMs)],
    {
      MONGODB_DB: database,
      PROJECTOR_BATCH_SIZE: '25',
      PROJECTOR_BATCH_MS: '20',
      PROJECTOR_LEASE_MS: '1500',
    },
  );
}

describe('the projector process', () => {
  let eventStore: EventStoreDBClient;
  let mongo: MongoClient;
  const children: ChildProcess[] = [];
  const run = uniqueId('proj').replace(/-/g, '');
  const streams = `customer-${run}-`;
  const customers = 30;
  const perCustomer = 12;
  const total = customers * perCustomer;

  beforeAll(async () => {
    const { eventStoreUrl, mongoUrl } = testServers();
    eventStore = EventStoreDBClient.connectionString(eventStoreUrl);
    mongo = await new MongoClient(mongoUrl).connect();
    // Interleaved across customers, so every batch touches many documents.
    for (let round = 0; round < perCustomer; round += 1) {
      for (let c = 0; c < customers; c += 1) {
        await eventStore.appendToStream(
          `${streams}${c}`,
          jsonEvent({
            type: round === 0 ? 'CustomerRegistered' : 'InquiryRecorded',
            data: { round },
            metadata: { schemaVersion: 1, eventId: `${c}-${round}` },
          }),
        );
      }
    }
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await eventStore.dispose();
    await mongo.close();
  });

  const counted = async (database: string) => {
    const docs = await mongo.db(database).collection('counts').find({}).toArray();
    return docs.reduce((sum, doc) => sum + (doc.count as number), 0);
  };
  const untilCounted = async (database: string, expected: (n: number) => boolean, ms = 60_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const n = await counted(database);
      if (expected(n)) return n;
      if (Date.now() > deadline) throw new Error(`counted ${n} events by the deadline`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const documents = (database: string) =>
    mongo
      .db(database)
      .collection('counts')
      .find({}, { sort: { _id: 1 } })
      .toArray();

  it('killed mid-catch-up and restarted, ends with the same documents as an uninterrupted run', async () => {
    const steady = `${run}_steady`;
    const crashed = `${run}_crashed`;

    const uninterrupted = await startProjector(steady, streams, 0);
    children.push(uninterrupted.child);
    await untilCounted(steady, (n) => n === total);
    uninterrupted.child.kill('SIGTERM');
    expect(await uninterrupted.exited).toBe(0);

    const first = await startProjector(crashed, streams, 40);
    children.push(first.child);
    // Killed once its first checkpoint is stored (and before it is done), so the restart has one to resume from.
    const checkpoints = mongo
      .db(crashed)
      .collection<{ _id: string; commit?: string }>('projection_checkpoints');
    await until(
      async () => (await checkpoints.findOne({ _id: 'counts' }))?.commit !== undefined,
      60_000,
    );
    const before = await counted(crashed);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(before).toBeLessThan(total);

    const second = await startProjector(crashed, streams, 0);
    children.push(second.child);
    await untilCounted(crashed, (n) => n >= total);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    expect(await documents(crashed)).toEqual(await documents(steady));
    expect(await counted(crashed)).toBe(total);
    expect(second.output.join('\n')).toMatch(/holding counts from commit position \d+/);
  }, 180_000);
});
