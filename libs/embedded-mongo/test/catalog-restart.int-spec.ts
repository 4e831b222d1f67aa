import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CollectionInfo, MongoClient } from 'mongodb';
import { type RunningMongo, start } from '@app/embedded-mongo';
import { serverError } from './test-database';

const quiet = (): void => undefined;

/** Collection state beyond documents (validators, views, collations, capped limits) outlives a restart. */
describe('embedded-mongo: collection options survive a restart', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'embedded-mongo-options-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const withServer = async (
    compact: boolean,
    work: (client: MongoClient) => Promise<void>,
  ): Promise<void> => {
    const server: RunningMongo = await start({
      port: 0,
      dataDir,
      log: quiet,
      persistence: compact ? { compactAfterBytes: 1, compactCheckMs: 20 } : undefined,
    });
    const client = await new MongoClient(server.connectionString).connect();
    try {
      await work(client);
    } finally {
      await client.close();
      await server.stop();
    }
  };

  const expectState = async (client: MongoClient): Promise<void> => {
    const db = client.db('state');
    const infos = (await db.listCollections().toArray()) as CollectionInfo[];
    const byName = new Map(infos.map((i) => [i.name, i]));
    expect(byName.get('checked')?.options).toEqual({
      validator: { qty: { $gte: 0 } },
      validationLevel: 'moderate',
      validationAction: 'error',
    });
    expect(byName.get('positive')).toMatchObject({
      type: 'view',
      options: { viewOn: 'checked', pipeline: [{ $match: { qty: { $gt: 0 } } }] },
    });
    expect((await serverError(db.collection('checked').insertOne({ qty: -1 }))).code).toBe(121);
    expect((await db.collection('positive').find().toArray()).map((d) => d.qty)).toEqual([5]);
    const named = db.collection('named');
    expect(await named.countDocuments({ n: 'ann' })).toBe(1);
    expect((await serverError(named.insertOne({ n: 'ANN' }))).code).toBe(11000);
    const log = db.collection<{ _id: number }>('log');
    await log.insertOne({ _id: 100 + Math.floor(Math.random() * 1000) });
    expect(await log.countDocuments()).toBe(2);
  };

  it('validators set by collMod, views, collations and capped limits are back after journal replay and after a snapshot', async () => {
    await withServer(false, async (client) => {
      const db = client.db('state');
      await db.createCollection('checked', { validator: { qty: { $gte: 0 } } });
      await db.collection('checked').insertMany([{ qty: 5 }, { qty: 0 }]);
      await db.command({ collMod: 'checked', validationLevel: 'moderate' });
      await db.createCollection('positive', {
        viewOn: 'checked',
        pipeline: [{ $match: { qty: { $gt: 0 } } }],
      });
      await db.createCollection('named', { collation: { locale: 'en', strength: 2 } });
      await db.collection('named').createIndex({ n: 1 }, { unique: true });
      await db.collection('named').insertOne({ n: 'Ann' });
      await db.createCollection('log', { capped: true, size: 4096, max: 2 });
      await db.collection<{ _id: number }>('log').insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    });
    await withServer(true, async (client) => {
      await expectState(client);
      const deadline = Date.now() + 5000;
      while (!readdirSync(dataDir).some((f) => /^snapshot-.*\.bin$/.test(f))) {
        if (Date.now() > deadline) throw new Error('no snapshot was written');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    await withServer(false, expectState);
  });
});
