// Child process of crash.int-spec.ts: runs the server on a data directory plus a few writers that
// append continuously, printing each attempted and each acknowledged batch of event ids. stdout is
// a pipe, which Node writes synchronously on Linux, so an ACK line printed is an ACK the parent sees.
import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { start } from '@app/embedded-eventstore';

const WRITERS = 4;

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  const server = await start({ port: 0, dataDir });
  const client = EventStoreDBClient.connectionString(server.connectionString);
  process.stdout.write('READY\n');
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      for (let batch = 0; ; batch++) {
        const size = 1 + ((batch + writer) % 4);
        const events = Array.from({ length: size }, (_e, i) =>
          jsonEvent({
            id: randomUUID(),
            type: 'CrashTested',
            data: { writer, batch, i, pad: 'p'.repeat(200) },
          }),
        );
        const ids = events.map((e) => e.id).join(',');
        process.stdout.write(`TRY ${writer} ${ids}\n`);
        await client.appendToStream(`crash-${writer}`, events);
        process.stdout.write(`ACK ${writer} ${ids}\n`);
      }
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`crash writer failed: ${String(error)}\n`);
  process.exit(1);
});
