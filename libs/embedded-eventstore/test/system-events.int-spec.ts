import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EventStoreDBClient,
  eventTypeFilter,
  excludeSystemEvents,
  type Filter,
  type ResolvedEvent,
  START,
} from '@eventstore/db-client';
import { start } from '@app/embedded-eventstore';
import { collect, connect, testEvents } from './conformance.helpers';

function streamsAndTypes(events: ResolvedEvent[]): string[] {
  return events.map((e) => `${e.event!.streamId} ${e.event!.type}`);
}

async function firstOfSubscription(
  client: EventStoreDBClient,
  filter: Filter,
  count: number,
): Promise<ResolvedEvent[]> {
  const received: ResolvedEvent[] = [];
  const subscription = client.subscribeToAll({ fromPosition: START, filter });
  for await (const event of subscription) {
    received.push(event);
    if (received.length === count) break;
  }
  await subscription.unsubscribe();
  return received;
}

const FRESH_NODE = [
  '$epoch-information $epoch-information',
  '$$$scavenges $metadata',
  '$user-admin $user',
  '$users $UserCreated',
  '$user-ops $user',
  '$users $UserCreated',
];

describe('embedded-eventstore: the system events a single node writes', () => {
  it('a fresh node starts with its epoch, the scavenge history retention and the admin and ops users in $all', async () => {
    const server = await start({ port: 0, mem: true, log: () => undefined });
    const client = connect(server.connectionString);
    try {
      const all = await collect(client.readAll({ fromPosition: START }));
      expect(streamsAndTypes(all)).toEqual(FRESH_NODE);
      const users = await collect(client.readStream('$users'));
      expect(users.map((e) => e.event!.data)).toEqual(['admin', 'ops']);
      const admin = await collect(client.readStream('$user-admin'));
      expect(admin[0].event!.data).toMatchObject({ loginName: 'admin', groups: ['$admins'] });
    } finally {
      await client.dispose();
      await server.stop();
    }
  });

  it('the client filter excluding system events leaves only user events', async () => {
    const server = await start({ port: 0, mem: true, log: () => undefined });
    const client = connect(server.connectionString);
    try {
      await client.appendToStream('orders-1', testEvents(2));
      const all = await collect(client.readAll({ fromPosition: START }));
      expect(all.length).toBe(FRESH_NODE.length + 2);
      // readAll of client 6.2.1 takes no filter: consumers filter through subscriptions.
      expect(streamsAndTypes(await firstOfSubscription(client, excludeSystemEvents(), 2))).toEqual([
        'orders-1 TestEvent',
        'orders-1 TestEvent',
      ]);
      const users = await firstOfSubscription(client, eventTypeFilter({ prefixes: ['$user'] }), 2);
      expect(streamsAndTypes(users)).toEqual(['$user-admin $user', '$user-ops $user']);
    } finally {
      await client.dispose();
      await server.stop();
    }
  });

  it('a restart writes a new epoch and does not create the users again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'es-system-events-'));
    try {
      const first = await start({ port: 0, dataDir, log: () => undefined });
      await first.stop();
      const second = await start({ port: 0, dataDir, log: () => undefined });
      const client = connect(second.connectionString);
      try {
        const all = await collect(client.readAll({ fromPosition: START }));
        expect(streamsAndTypes(all)).toEqual([
          ...FRESH_NODE,
          '$epoch-information $epoch-information',
        ]);
        const epochs = await collect(client.readStream('$epoch-information'));
        expect(epochs.map((e) => (e.event!.data as { epochNumber: number }).epochNumber)).toEqual([
          0, 1,
        ]);
      } finally {
        await client.dispose();
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
