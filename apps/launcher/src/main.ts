import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '@app/config';
import { type Child, redact, startChild, stopChild } from './processes';

/**
 * `npm start`: the embedded servers (unless EVENTSTORE_URL / MONGODB_URL name real ones), the API and the
 * projector, each its own process as in production; Ctrl-C stops them in reverse order.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const children: Child[] = [];
  let stopping = false;

  const stopAll = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of [...children].reverse()) {
      await stopChild(child);
      console.log(`[launcher] ${child.name} stopped`);
    }
    console.log(
      exitCode === 0
        ? '[launcher] everything stopped cleanly'
        : '[launcher] stopped after a failure',
    );
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  const watch = (child: Child) => {
    children.push(child);
    void child.exited.then((code) => {
      if (stopping) return;
      console.error(
        `[launcher] ${child.name} exited unexpectedly (code ${code}); stopping everything`,
      );
      void stopAll(1);
    });
  };

  try {
    const env: NodeJS.ProcessEnv = { ...process.env };
    const dataDir = resolve(config.dataDir);
    if (!config.eventStoreUrl) {
      const dir = join(dataDir, 'eventstore');
      mkdirSync(dir, { recursive: true });
      const { child, match } = await startChild(
        'eventstore',
        'libs/embedded-eventstore',
        ['--port', '0', '--data', dir],
        env,
        /(esdb:\/\/\S+)/,
      );
      watch(child);
      env.EVENTSTORE_URL = match[1];
    }
    if (!config.mongoUrl) {
      const dir = join(dataDir, 'mongo');
      mkdirSync(dir, { recursive: true });
      const { child, match } = await startChild(
        'mongo',
        'libs/embedded-mongo',
        ['--port', '0', '--data', dir],
        env,
        /(mongodb:\/\/\S+)/,
      );
      watch(child);
      env.MONGODB_URL = match[1];
    }
    const api = await startChild('api', 'apps/api', [], env, /API listening on (\S+)/);
    watch(api.child);
    const projector = await startChild('projector', 'apps/projector', [], env, /projector running/);
    watch(projector.child);

    console.log('');
    console.log(`  CRM backend is running`);
    console.log(`  API:        ${api.match[1]}`);
    console.log(`  Docs:       ${api.match[1]}/docs`);
    console.log(
      `  EventStore: ${redact(env.EVENTSTORE_URL ?? '')}${config.eventStoreUrl ? '' : ' (embedded; password in eventstore/secrets/admin.password)'}`,
    );
    console.log(
      `  MongoDB:    ${redact(env.MONGODB_URL ?? '')}${config.mongoUrl ? '' : ' (embedded; password in mongo/secrets/credentials.json)'}`,
    );
    if (!config.eventStoreUrl || !config.mongoUrl) console.log(`  Data:       ${dataDir}`);
    console.log('  Ctrl-C stops everything.');
    console.log('');
  } catch (error) {
    console.error(`[launcher] ${(error as Error).message}`);
    await stopAll(1);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
