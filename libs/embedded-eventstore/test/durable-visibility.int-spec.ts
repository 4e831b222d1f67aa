import { type ResolvedEvent, START } from '@eventstore/db-client';
import { start } from '@app/embedded-eventstore';
import { PowerLossFileSystem } from '@app/embedded-storage';
import { collect, connect, delay, testEvents } from './conformance.helpers';

// A reader that saw an event a power cut then loses would have acted on something that never
// happened. With fsync held back, the appended event is in the page cache, not on disk: no read
// and no subscription may show it until the fsync completes.
describe('embedded-eventstore: nothing is visible before it is durable', () => {
  it('shows an append to stream reads, $all reads and subscriptions only after its fsync completes', async () => {
    const fs = new PowerLossFileSystem();
    const server = await start({
      port: 0,
      dataDir: '/data/eventstore',
      fs,
      insecure: true,
      log: () => undefined,
    });
    const client = connect(server.connectionString);
    try {
      await client.appendToStream('durable', testEvents(1));
      const delivered: ResolvedEvent[] = [];
      const subscription = client.subscribeToStream('durable', { fromRevision: START });
      subscription.on('data', (event: ResolvedEvent) => delivered.push(event));
      await until(() => delivered.length === 1);

      const release = fs.holdSyncs();
      let acknowledged = false;
      const append = client.appendToStream('durable', testEvents(1)).then((result) => {
        acknowledged = true;
        return result;
      });
      await delay(150);
      expect(acknowledged).toBe(false);
      expect(await collect(client.readStream('durable'))).toHaveLength(1);
      const all = await collect(client.readAll({ fromPosition: START }));
      expect(all.filter((e) => e.event?.streamId === 'durable')).toHaveLength(1);
      expect(delivered).toHaveLength(1);

      release();
      await append;
      expect(await collect(client.readStream('durable'))).toHaveLength(2);
      await until(() => delivered.length === 2);
      await subscription.unsubscribe();
    } finally {
      await client.dispose();
      await server.stop();
    }
  });
});

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await delay(10);
  expect(done()).toBe(true);
}
