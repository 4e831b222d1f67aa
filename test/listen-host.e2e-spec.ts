import { type ApiProcess, startApiProcess, storeEnv } from './support/api-process';

/** Whether an HTTP request to host:port is answered at all. */
async function answers(host: string, port: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}:${port}/health/live`);
    return response.status === 200;
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return false;
    throw error;
  }
}

const portOf = (api: ApiProcess) => new URL(api.url).port;

/**
 * The API listens where HOST says (127.0.0.1 unless told otherwise) and prints the address it is bound to. On Linux
 * every 127.x.y.z address reaches the loopback interface, so a socket bound to 127.0.0.1 refuses 127.0.0.2 while
 * one bound to every interface answers it.
 */
describe('the API listens on HOST, 127.0.0.1 by default, and prints that address', () => {
  const started: ApiProcess[] = [];
  let byDefault: ApiProcess;
  let everywhere: ApiProcess;
  let second: ApiProcess;

  beforeAll(async () => {
    const env = { ...storeEnv('host'), HOST: undefined };
    const starting = [
      startApiProcess(env),
      startApiProcess({ ...env, HOST: '0.0.0.0' }),
      startApiProcess({ ...env, HOST: '127.0.0.2' }),
    ];
    for (const each of starting) void each.then((api) => started.push(api));
    [byDefault, everywhere, second] = await Promise.all(starting);
  }, 120_000);

  afterAll(() => Promise.all(started.map((api) => api.stop())));

  it('listens only on 127.0.0.1 when HOST is unset', async () => {
    expect(byDefault.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await answers('127.0.0.1', portOf(byDefault))).toBe(true);
    expect(await answers('127.0.0.2', portOf(byDefault))).toBe(false);
  });

  it('listens on every interface with HOST=0.0.0.0 and says so', async () => {
    expect(everywhere.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect(await answers('127.0.0.1', portOf(everywhere))).toBe(true);
    expect(await answers('127.0.0.2', portOf(everywhere))).toBe(true);
  });

  it('warns when the dev keys are reachable from other machines, and only then', () => {
    const warning = 'The development keys open';
    expect(everywhere.output.join('\n')).toContain(
      `${warning} ${everywhere.url} to other machines: set CRM_API_KEYS, or HOST=127.0.0.1`,
    );
    expect(byDefault.output.join('\n')).not.toContain(warning);
    expect(second.output.join('\n')).not.toContain(warning);
  });

  it('prints the address of any other HOST as it is bound', async () => {
    expect(second.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    expect(second.output.join('\n')).toContain(`(docs at ${second.url}/docs)`);
    expect(await answers('127.0.0.2', portOf(second))).toBe(true);
    expect(await answers('127.0.0.1', portOf(second))).toBe(false);
  });
});
