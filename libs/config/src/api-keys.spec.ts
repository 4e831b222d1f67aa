import { DEV_API_KEYS, parseApiKeys } from './api-keys';

const SECRET = 'a'.repeat(24);

function parse(raw: string | undefined, production = false) {
  const problems: string[] = [];
  const keys = parseApiKeys(raw, production, problems);
  return { keys, problems };
}

describe('parseApiKeys', () => {
  it('is undefined when CRM_API_KEYS is unset or blank, so the dev keys apply', () => {
    expect(parse(undefined)).toEqual({ keys: undefined, problems: [] });
    expect(parse('  ')).toEqual({ keys: undefined, problems: [] });
  });

  it('names the dev keys after their role, with the name as secret', () => {
    expect(DEV_API_KEYS).toEqual([
      { role: 'ingest', name: 'dev-ingest', secret: 'dev-ingest' },
      { role: 'analyst', name: 'dev-analyst', secret: 'dev-analyst' },
      { role: 'auditor', name: 'dev-auditor', secret: 'dev-auditor' },
      { role: 'admin', name: 'dev-admin', secret: 'dev-admin' },
    ]);
  });

  it('reads role:name:secret, entries separated by commas and optional whitespace', () => {
    const { keys, problems } = parse(
      `ingest:till-7:${SECRET}:with:colons ,\n auditor:desk.2:${'b'.repeat(512)}`,
    );
    expect(problems).toEqual([]);
    expect(keys).toEqual([
      { role: 'ingest', name: 'till-7', secret: `${SECRET}:with:colons` },
      { role: 'auditor', name: 'desk.2', secret: 'b'.repeat(512) },
    ]);
  });

  it('lists every dead key at once, and no problem quotes a secret', () => {
    const secrets = ['c'.repeat(24), 'd'.repeat(24), `has space${'e'.repeat(24)}`, 'f'.repeat(513)];
    const raw = [
      `ingest:till:${secrets[2]}`,
      `analyst:reports:${secrets[3]}`,
      'auditor:desk:short-secret',
      `ingest-${secrets[0]}`,
      `root:ops:${secrets[1]}`,
      `admin:till:${secrets[0]}`,
      `admin:-bad name:${secrets[0]}`,
      `analyst:tab:${'g'.repeat(20)}\t${'g'.repeat(4)}`,
      `analyst:accented:${'é'.repeat(24)}`,
    ].join(',');
    const { problems } = parse(raw);
    expect(problems).toEqual([
      'CRM_API_KEYS entry 1 (till): the secret contains whitespace',
      'CRM_API_KEYS entry 2 (reports): the secret is longer than 512 characters',
      'CRM_API_KEYS entry 3 (desk): the secret is shorter than 24 characters',
      'CRM_API_KEYS entry 4 must be role:name:secret',
      'CRM_API_KEYS entry 5 (ops): the role must be one of ingest, analyst, auditor, admin',
      'CRM_API_KEYS entry 7: the name must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'CRM_API_KEYS entry 8 (tab): the secret contains whitespace',
      'CRM_API_KEYS entry 9 (accented): the secret may contain only visible ASCII characters',
      'CRM_API_KEYS entries 1, 6 have the same name',
      'CRM_API_KEYS entries 6, 7 have the same secret',
    ]);
    for (const secret of secrets) {
      for (const problem of problems) expect(problem).not.toContain(secret.slice(0, 12));
    }
  });

  it('refuses a dev key under NODE_ENV=production, whatever its name', () => {
    const { problems } = parse('ingest:till:dev-ingest', true);
    expect(problems).toEqual([
      'CRM_API_KEYS entry 1 (till): the secret is shorter than 24 characters',
      'CRM_API_KEYS entry 1 (till): the secret is a development key, refused under NODE_ENV=production',
    ]);
  });
});
