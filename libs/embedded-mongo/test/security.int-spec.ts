import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { start } from '@app/embedded-mongo';

// SCRAM-SHA-256 by default: the driver gets nowhere without the generated user.
describe('embedded-mongo security', () => {
  let server: Awaited<ReturnType<typeof start>>;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mongo-security-'));
    server = await start({ port: 0, dataDir: join(dir, 'data'), log: () => undefined });
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function attempt(url: string): Promise<unknown> {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 3000 });
    try {
      await client.connect();
      return await client.db('sec').collection('c').insertOne({ a: 1 });
    } catch (error) {
      return error;
    } finally {
      await client.close();
    }
  }

  it('serves the user of its connection string', async () => {
    expect(await attempt(server.connectionString)).toMatchObject({ acknowledged: true });
  });

  it('refuses a client without credentials (Unauthorized, code 13)', async () => {
    const failure = await attempt(server.connectionString.replace(/\/\/[^@]+@/, '//'));
    expect(failure).toMatchObject({ code: 13, codeName: 'Unauthorized' });
  });

  it('refuses a wrong password (AuthenticationFailed, code 18)', async () => {
    const failure = await attempt(server.connectionString.replace(/:[0-9a-f]+@/, ':wrong@'));
    expect(String(failure)).toMatch(/Authentication failed/);
  });

  it('keeps its files private: folders 0700, data and secrets 0600', () => {
    const data = join(dir, 'data');
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(statSync(join(data, 'journal-00000001.log')).mode & 0o777).toBe(0o600);
    expect(statSync(join(data, 'secrets')).mode & 0o777).toBe(0o700);
    expect(statSync(server.credentialsFile!).mode & 0o777).toBe(0o600);
  });
});
