import { AccessDeniedError, EventStoreDBClient } from '@eventstore/db-client';
import { start } from '@app/embedded-eventstore';
import { collect, testEvents, uniqueStream } from './conformance.helpers';

// Secure by default, as EventStoreDB 20+: without the user, with a wrong password or without TLS
// the official client gets nowhere.
describe('embedded-eventstore security', () => {
  let server: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    server = await start({ port: 0, mem: true, log: () => undefined });
  });
  afterAll(() => server.stop());

  async function attempt(url: string): Promise<unknown> {
    const client = EventStoreDBClient.connectionString(url);
    try {
      await client.appendToStream(uniqueStream('sec'), testEvents(1));
      return await collect(client.readAll({ maxCount: 1 }));
    } catch (error) {
      return error;
    } finally {
      await client.dispose();
    }
  }

  it('serves the user of its connection string over TLS', async () => {
    expect(await attempt(server.connectionString)).toHaveLength(1);
  });

  it('denies a client without credentials (access-denied)', async () => {
    const failure = await attempt(server.connectionString.replace(/\/\/[^@]+@/, '//'));
    expect(failure).toBeInstanceOf(AccessDeniedError);
    expect(String(failure)).toMatch(/PERMISSION_DENIED: Access Denied/);
  });

  it('refuses a wrong password (unauthenticated)', async () => {
    const failure = await attempt(server.connectionString.replace(/:[0-9a-f]+@/, ':wrong@'));
    expect(failure).toBeInstanceOf(AccessDeniedError);
    expect(String(failure)).toMatch(/UNAUTHENTICATED/);
  });

  it('does not talk to a client without TLS', async () => {
    const failure = await attempt(
      server.connectionString.replace('tls=true', 'tls=false').replace(/&tlsCAFile=\S+/, ''),
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(AccessDeniedError);
  }, 30_000);
});
