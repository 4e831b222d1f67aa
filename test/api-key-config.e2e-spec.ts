import { startApiProcess, storeEnv } from './support/api-process';

/** Starts the API as its own process and returns what it printed before exiting; fails if it starts. */
async function refusedStart(env: NodeJS.ProcessEnv): Promise<string> {
  const started = startApiProcess({
    ...storeEnv('keys'),
    NODE_ENV: undefined,
    CRM_API_KEYS: undefined,
    ...env,
  });
  const outcome = await started.then(
    async (api) => {
      await api.stop();
      return 'started';
    },
    (error: Error) => error.message,
  );
  expect(outcome).toMatch(/exited \(1\)/);
  return outcome;
}

/** A key the service accepts, to show that one good entry does not hide the others' problems. */
const GOOD = 'ingest:till-1:good-secret-0123456789abcdef';

describe('the API refuses to start with dead keys, listing every problem at once', () => {
  it('names each bad CRM_API_KEYS entry without quoting its secret', async () => {
    const spaced = 'has a space in it 0123456789';
    const long = 'L'.repeat(513);
    const output = await refusedStart({
      CRM_API_KEYS: [
        GOOD,
        `ingest:spaced:${spaced}`,
        `analyst:long:${long}`,
        'auditor:short:short-secret',
        'admin-no-name-0123456789abcdef',
        'superuser:root:root-secret-0123456789abcdef',
        'admin:till-1:another-secret-0123456789abc',
        'admin:ops:good-secret-0123456789abcdef',
      ].join(','),
    });
    for (const problem of [
      'CRM_API_KEYS entry 2 (spaced): the secret contains whitespace',
      'CRM_API_KEYS entry 3 (long): the secret is longer than 512 characters',
      'CRM_API_KEYS entry 4 (short): the secret is shorter than 24 characters',
      'CRM_API_KEYS entry 5 must be role:name:secret',
      'CRM_API_KEYS entry 6 (root): the role must be one of ingest, analyst, auditor, admin',
      'CRM_API_KEYS entries 1, 7 have the same name',
      'CRM_API_KEYS entries 1, 8 have the same secret',
    ]) {
      expect(output).toContain(problem);
    }
    for (const secret of [spaced, long, 'short-secret', 'good-secret', 'root-secret']) {
      expect(output).not.toContain(secret);
    }
  }, 60_000);

  it('refuses a dev key under NODE_ENV=production', async () => {
    const output = await refusedStart({
      NODE_ENV: 'production',
      CRM_API_KEYS: `${GOOD},admin:ops:dev-admin`,
    });
    expect(output).toContain(
      'CRM_API_KEYS entry 2 (ops): the secret is a development key, refused under NODE_ENV=production',
    );
  }, 60_000);

  it('refuses to fall back to the dev keys under NODE_ENV=production', async () => {
    const output = await refusedStart({ NODE_ENV: 'production' });
    expect(output).toContain('CRM_API_KEYS is required when NODE_ENV=production');
    expect(output).not.toContain('using the development keys');
  }, 60_000);
});
