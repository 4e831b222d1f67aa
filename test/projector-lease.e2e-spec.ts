import type { ChildProcess } from 'node:child_process';
import { EventStoreDBClient, NO_STREAM } from '@eventstore/db-client';
import { type Db, MongoClient } from 'mongodb';
import { customerStreamId, DEFAULT_POLICY_RULES } from '@app/domain';
import {
  COMPLAINTS_COLLECTION,
  customerProjections,
  INTERACTIONS_COLLECTION,
  PROFILES_COLLECTION,
  projectionStatus,
  TRANSITIONS_COLLECTION,
  waitForPosition,
} from '@app/read-models';
import { testServers, uniqueId } from '@app/testing';
import { customerHistory, seededRandom } from '../bench/support/customer-history';
import {
  type ProjectorProcess as Running,
  startProjectorProcess,
} from './support/projector-os-process';

const LEASE_MS = 1500;
// apps/projector also runs the position tracker, which keeps only a checkpoint: these are the read models.
const READ_MODELS = customerProjections(DEFAULT_POLICY_RULES).map((p) => p.name);

/** apps/projector's main as its own OS process, on `database`, with a short lease and small batches. */
function startProjector(database: string): Promise<Running> {
  return startProjectorProcess(['apps/projector/src/main.ts'], {
    MONGODB_DB: database,
    PROJECTOR_BATCH_SIZE: '25',
    PROJECTOR_BATCH_MS: '20',
    PROJECTOR_LEASE_MS: String(LEASE_MS),
  });
}

/** The lease owner of every read model's checkpoint (undefined where there is no live lease). */
async function owners(db: Db): Promise<Map<string, string | undefined>> {
  const statuses = await projectionStatus(db);
  return new Map(
    READ_MODELS.map((name) => {
      const lease = statuses.find((status) => status.name === name)?.lease;
      return [name, lease?.active ? lease.owner : undefined];
    }),
  );
}

async function until<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('two projector processes on one database', () => {
  let eventStore: EventStoreDBClient;
  let mongo: MongoClient;
  const children: ChildProcess[] = [];
  const run = uniqueId('lease').replace(/-/g, '');
  const customers = Array.from({ length: 120 }, (_, i) => `${run}-c${i}`);
  const random = seededRandom(2026);
  const histories = customers.map((id) => customerHistory(id, random));

  /** Stores the histories of customers [from, to) and returns the commit position of the last append. */
  const append = async (from: number, to: number): Promise<bigint> => {
    let last = 0n;
    for (const history of histories.slice(from, to)) {
      const result = await eventStore.appendToStream(
        customerStreamId(history.customerId),
        history.appends.flat(),
        { expectedRevision: NO_STREAM },
      );
      if (result.position && result.position.commit > last) last = result.position.commit;
    }
    return last;
  };

  /** The documents of this test's customers in every read model, in a stable order. */
  const documents = async (db: Db) => {
    const byCustomer = { customerId: { $in: customers } };
    const sorted = { sort: { _id: 1 as const } };
    return {
      profiles: await db
        .collection(PROFILES_COLLECTION)
        .find({ _id: { $in: customers } } as never, sorted)
        .toArray(),
      transitions: await db.collection(TRANSITIONS_COLLECTION).find(byCustomer, sorted).toArray(),
      interactions: await db.collection(INTERACTIONS_COLLECTION).find(byCustomer, sorted).toArray(),
      complaints: await db.collection(COMPLAINTS_COLLECTION).find(byCustomer, sorted).toArray(),
    };
  };

  beforeAll(async () => {
    const { eventStoreUrl, mongoUrl } = testServers();
    eventStore = EventStoreDBClient.connectionString(eventStoreUrl);
    mongo = await new MongoClient(mongoUrl).connect();
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    await eventStore.dispose();
    await mongo.close();
  });

  it('only the lease owner writes; SIGKILLed, the other takes over within the lease and the read models end as one uninterrupted projector leaves them', async () => {
    const shared = mongo.db(`${run}_pair`);
    const single = mongo.db(`${run}_single`);
    const half = customers.length / 2;
    const firstHalf = await append(0, half);

    const first = await startProjector(shared.databaseName);
    children.push(first.child);
    const firstOwner = await until(
      async () => {
        const held = [...(await owners(shared)).values()];
        return held.every((owner) => owner !== undefined && owner.includes(`:${first.child.pid}:`))
          ? held[0]
          : undefined;
      },
      30_000,
      'the first projector to hold every read model',
    );
    const second = await startProjector(shared.databaseName);
    children.push(second.child);
    expect(await waitForPosition(shared, READ_MODELS, firstHalf, 60_000)).toBe(true);
    // Several renewals later the first still holds every lease and the second has taken none.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    expect([...(await owners(shared)).values()]).toEqual(READ_MODELS.map(() => firstOwner));
    expect(second.output.join('\n')).not.toMatch(/holding /);

    // The rest arrives; the owner dies somewhere in its batches, without giving its leases up.
    const last = await append(half, customers.length);
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    await first.exited;
    await until(
      async () => {
        const held = [...(await owners(shared)).values()];
        return held.every((owner) => owner?.includes(`:${second.child.pid}:`)) ? true : undefined;
      },
      30_000,
      'the second projector to take every read model over',
    );
    const takeoverMs = Date.now() - killedAt;
    // The dead owner's lease runs out at most LEASE_MS after its last renewal; the other notices at its next
    // renewal, a third of a lease later. The rest is slack for a loaded machine.
    expect(takeoverMs).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 1500);
    expect(second.output.join('\n')).toMatch(
      /holding profiles from (the start|commit position \d+)/,
    );
    expect(await waitForPosition(shared, READ_MODELS, last, 60_000)).toBe(true);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const uninterrupted = await startProjector(single.databaseName);
    children.push(uninterrupted.child);
    expect(await waitForPosition(single, READ_MODELS, last, 60_000)).toBe(true);
    uninterrupted.child.kill('SIGTERM');
    expect(await uninterrupted.exited).toBe(0);

    const expected = await documents(single);
    expect(expected.profiles).toHaveLength(customers.length);
    expect(expected.transitions.length).toBeGreaterThan(customers.length);
    expect(expected.interactions.length).toBeGreaterThan(customers.length);
    expect(await documents(shared)).toEqual(expected);
  }, 180_000);
});
