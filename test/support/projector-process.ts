// The projector as an OS process with a projection of the test's choosing:
//   node -r ./scripts/register-ts.js test/support/projector-process.ts <projection name> <stream prefix> <delay ms>
// Configuration comes from the environment like the real one (EVENTSTORE_URL, MONGODB_URL, MONGODB_DB, PROJECTOR_*).
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@app/config';
import { countingProjection } from '@app/testing';
import { startProjector, stopOnSignals } from '@apps/projector';

async function main(): Promise<void> {
  const [name = 'counts', streams = 'customer-', delay = '0'] = process.argv.slice(2);
  const projection = countingProjection(name, {
    accept: (event) => event.streamId.startsWith(streams),
    delayMs: Number(delay),
  });
  const projector = await startProjector(loadConfig(), [projection], { progressEveryMs: 500 });
  new Logger('Projector').log('projector running');
  stopOnSignals(projector);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
