import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@app/config';
import { customerProjections, positionTrackerProjection } from '@app/read-models';
import { startProjector, stopOnSignals } from './projector';

async function main(): Promise<void> {
  const config = loadConfig();
  // The position tracker writes nothing: its checkpoint is how far the projector has read, for readiness.
  const projector = await startProjector(config, [
    positionTrackerProjection(),
    ...customerProjections(config.rules),
  ]);
  stopOnSignals(projector);
  // The launcher waits for this line: printed once a signal would stop the projector cleanly.
  new Logger('Projector').log('projector running');
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
