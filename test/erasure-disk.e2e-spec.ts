import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Binary, MongoClient } from 'mongodb';
import { loadConfig } from '@app/config';
import { start as startEventStore } from '@app/embedded-eventstore';
import { start as startMongo } from '@app/embedded-mongo';
import { CHECKPOINTS_COLLECTION, customerProjections } from '@app/read-models';
import { uniqueId, until } from '@app/testing';
import { type ApiProcess, callApi, startApiProcess } from './support/api-process';

// Distinctive values: found nowhere by chance.
const NAME = 'Zebulon Quixote-Marchetti';
const EMAIL = 'zebulon.qm.7731@marchetti-example.net';
const PHONE = '+39 055 771 3399';
const NOTE = 'allergic to walnuts, daughter Ottavina studies in Graz';
const COMMENT = 'Quixotic service by Ottavina Marchetti';
const PLAINTEXTS = [NAME, EMAIL, PHONE, NOTE, COMMENT];

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The byte patterns that would betray a value: its UTF-8 bytes and its base64 at each of the three alignments. */
function forms(value: Buffer): Array<{ form: string; bytes: Buffer }> {
  const found = [{ form: 'raw', bytes: value }];
  for (let shift = 0; shift < 3; shift += 1) {
    const encoded = Buffer.concat([Buffer.alloc(shift), value]).toString('base64');
    // Drop the characters that depend on the padding bytes before and the bytes after.
    const stable = encoded.slice(Math.ceil((shift * 4) / 3) + 1, -4);
    found.push({ form: `base64+${shift}`, bytes: Buffer.from(stable, 'latin1') });
  }
  found.push({ form: 'hex', bytes: Buffer.from(value.toString('hex'), 'latin1') });
  return found;
}

function scan(
  files: Array<{ name: string; bytes: Buffer }>,
  values: Record<string, Buffer>,
): string[] {
  const hits: string[] = [];
  for (const [label, value] of Object.entries(values)) {
    for (const { form, bytes } of forms(value)) {
      for (const file of files) {
        if (file.bytes.includes(bytes)) hits.push(`${label} (${form}) in ${file.name}`);
      }
    }
  }
  return hits;
}

describe('erasure leaves no personal data on disk', () => {
  it('after erase and a rebuild from zero, neither data directory nor any log holds the plaintext', async () => {
    const esData = mkdtempSync(join(tmpdir(), 'crm-erase-es-'));
    const mongoData = mkdtempSync(join(tmpdir(), 'crm-erase-mongo-'));
    const serverLog: string[] = [];
    const log = (line: string) => serverLog.push(line);
    const eventStore = await startEventStore({ port: 0, dataDir: esData, log });
    const mongo = await startMongo({ port: 0, dataDir: mongoData, log });
    const database = 'crm_erasure';
    const env = {
      EVENTSTORE_URL: eventStore.connectionString,
      MONGODB_URL: mongo.connectionString,
      MONGODB_DB: database,
      PROJECTOR_BATCH_MS: '20',
    };
    const processes: ApiProcess[] = [];
    const client = await new MongoClient(mongo.connectionString).connect();
    try {
      const api = await startApiProcess(env);
      processes.push(api);
      let projector = await startApiProcess(env, 'apps/projector/src/main.ts', 'projector running');
      processes.push(projector);
      const call = (method: string, path: string, key: string, body?: object) =>
        callApi(api, method, path, key, body);
      const customerId = uniqueId('shred');
      expect(
        (
          await call('POST', '/v1/customers', 'dev-ingest', {
            customerId,
            name: NAME,
            email: EMAIL,
            phone: PHONE,
            region: 'tuscany',
          })
        ).status,
      ).toBe(201);
      const touchpoint = {
        source: 'call-centre',
        customerId,
        occurredAt: '2026-02-01T10:00:00Z',
        channel: 'phone',
        direction: 'inbound',
      };
      for (const extra of [
        { kind: 'purchase', orderId: 'o-1', amount: 250, note: NOTE },
        { kind: 'feedback', score: 5, comment: COMMENT },
        { kind: 'other', subtype: 'visit-card', attributes: { contact: EMAIL } },
      ]) {
        const recorded = await call('POST', '/v1/touchpoints', 'dev-ingest', {
          ...touchpoint,
          ...extra,
          touchpointId: uniqueId('tp'),
        });
        expect(recorded.status).toBe(201);
      }
      const profileOf = (minPosition: number) =>
        call('GET', `/v1/profiles/${customerId}?minPosition=${minPosition}`, 'dev-auditor');
      const live = await profileOf(0);
      expect([200, 404]).toContain(live.status);
      const keyDoc = await client
        .db(database)
        .collection<{ _id: string; key: Binary | null }>('customer_keys')
        .findOne({ _id: customerId });
      const key = Buffer.from(keyDoc!.key!.buffer);
      const onDisk = () =>
        filesUnder(mongoData).map((path) => ({ name: path, bytes: readFileSync(path) }));
      // The scan can see a key: before the erasure, it is in MongoDB's journal.
      expect(scan(onDisk(), { key }).length).toBeGreaterThan(0);
      // An auditor's as-of leaves snapshots of the fold in MongoDB (written behind the answer).
      const beforeErasure = new Date().toISOString();
      const asOf = () =>
        call('GET', `/v1/customers/${customerId}/as-of?at=${beforeErasure}`, 'dev-auditor');
      expect((await asOf()).body).toMatchObject({ profile: { name: NAME } });
      const snapshots = client.db(database).collection('as_of_snapshots');
      await until(async () => (await snapshots.countDocuments({ customerId })) > 0);

      const erased = await call('POST', `/v1/customers/${customerId}/erase`, 'dev-admin');
      expect(erased.status).toBe(201);
      const position = erased.body.certificate!.stream.lastPosition;
      expect(await snapshots.countDocuments({ customerId })).toBe(0);
      const asOfAfter = await asOf();
      expect(asOfAfter.status).toBe(200);
      expect(JSON.stringify(asOfAfter.body)).not.toContain(NAME);

      // Rebuild every read model from zero: a fresh projector over the whole log.
      await projector.stop();
      const db = client.db(database);
      for (const name of customerProjections(loadConfig().rules).flatMap((p) => p.collections)) {
        await db
          .collection(name)
          .drop()
          .catch(() => undefined);
      }
      await db.collection(CHECKPOINTS_COLLECTION).deleteMany({});
      projector = await startApiProcess(env, 'apps/projector/src/main.ts', 'projector running');
      processes.push(projector);
      const rebuilt = await profileOf(position);
      expect(rebuilt.status).toBe(200);
      expect(rebuilt.body).toEqual(
        expect.objectContaining({ status: 'erased', region: 'tuscany' }),
      );
      const history = await call('GET', `/v1/customers/${customerId}/history`, 'dev-auditor');
      expect(JSON.stringify(history.body)).toContain('[erased]');
      expect(JSON.stringify([rebuilt.body, history.body])).not.toContain('Ottavina');

      for (const running of processes) await running.stop();
      processes.length = 0;
      await client.close();
      await Promise.all([eventStore.stop(), mongo.stop()]);

      const files = [...filesUnder(esData), ...filesUnder(mongoData)].map((path) => ({
        name: path,
        bytes: readFileSync(path),
      }));
      const logs = [api, projector].map((p, index) => ({
        name: `log of process ${index}`,
        bytes: Buffer.from(p.output.join('\n')),
      }));
      logs.push({ name: 'server logs', bytes: Buffer.from(serverLog.join('\n')) });
      // The test would prove nothing if the stores had not written the customer at all.
      expect(files.some((file) => file.bytes.includes(Buffer.from(customerId)))).toBe(true);
      const values = Object.fromEntries(PLAINTEXTS.map((text) => [text, Buffer.from(text)]));
      expect(scan([...files, ...logs], values)).toEqual([]);
      expect(scan([...files, ...logs], { 'the destroyed key': key })).toEqual([]);
    } finally {
      await Promise.allSettled(processes.map((running) => running.stop()));
      await client.close().catch(() => undefined);
      await Promise.allSettled([eventStore.stop(), mongo.stop()]);
      rmSync(esData, { recursive: true, force: true });
      rmSync(mongoData, { recursive: true, force: true });
    }
  }, 180_000);
});
