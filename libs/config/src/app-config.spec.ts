import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDBClient } from '@eventstore/db-client';
import { ConfigError, DEFAULT_RULES, DEV_API_KEYS, loadConfig } from '@app/config';

const EVENTSTORE_URL_PROBLEM =
  'EVENTSTORE_URL must be an esdb:// or esdb+discover:// connection string (the event store client 6.2.1 reads no other scheme)';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function rulesFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'crm-rules-')), 'rules.json');
  writeFileSync(path, content);
  return path;
}

describe('loadConfig', () => {
  it('uses the documented defaults and the dev keys when nothing is set', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      dataDir: './data',
      mongoDb: 'crm',
      usingDevKeys: true,
    });
    expect(sut.apiKeys).toEqual(DEV_API_KEYS);
    expect(sut.rules).toEqual(DEFAULT_RULES);
  });

  it('parses role:name:secret entries', () => {
    const sut = loadConfig({
      CRM_API_KEYS: 'ingest:till-7:abcdefghijklmnopqrstuvwx, admin:ops:zyxwvutsrqponmlkjihgfedc',
    });
    expect(sut.apiKeys).toEqual([
      { role: 'ingest', name: 'till-7', secret: 'abcdefghijklmnopqrstuvwx' },
      { role: 'admin', name: 'ops', secret: 'zyxwvutsrqponmlkjihgfedc' },
    ]);
    expect(sut.usingDevKeys).toBe(false);
  });

  it('refuses to start in production without keys', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      expect.stringContaining('CRM_API_KEYS is required when NODE_ENV=production'),
    ]);
  });

  it.each(['0.0.0.0', '::', '::1', '192.168.1.20', 'localhost', 'api.internal'])(
    'listens on HOST=%s',
    (host) => {
      expect(loadConfig({ HOST: host }).host).toBe(host);
    },
  );

  it.each(['0.0.0.0:3000', 'http://localhost', 'two words', '-leading-dash'])(
    'refuses HOST=%s',
    (host) => {
      expect(problemsOf({ HOST: host })).toEqual([
        'HOST must be an IP address or a host name (0.0.0.0 for every interface)',
      ]);
    },
  );

  // Each URL is put to the client's own parser too: the config must agree with it both ways.
  it.each([
    ['esdb://localhost:2113?tls=false', true],
    ['esdb://admin:changeit@es1:2113,es2:2113,es3:2113?tls=true&nodePreference=leader', true],
    ['esdb+discover://admin:changeit@eventstore.internal:2113?tls=true', true],
    ['kurrentdb://admin:changeit@localhost:2113?tls=true', false],
    ['kdb://localhost:2113', false],
    ['kurrentdb+discover://eventstore.internal:2113', false],
    ['ESDB://localhost:2113', false],
    ['esdb:/localhost:2113', false],
  ])('accepts EVENTSTORE_URL=%s only if client 6.2.1 parses it (%s)', (url, accepted) => {
    const clientParses = (() => {
      try {
        void EventStoreDBClient.connectionString(url).dispose();
        return true;
      } catch {
        return false;
      }
    })();
    expect(clientParses).toBe(accepted);
    if (accepted) expect(loadConfig({ EVENTSTORE_URL: url }).eventStoreUrl).toBe(url);
    else expect(problemsOf({ EVENTSTORE_URL: url })).toEqual([EVENTSTORE_URL_PROBLEM]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      EVENTSTORE_URL: 'http://x',
      MONGODB_URL: 'postgres://x',
      HOST: 'every interface',
      CRM_API_KEYS: 'root:ops:abcdefghijklmnopqrstuvwx,ingest:till:short',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be an integer',
        EVENTSTORE_URL_PROBLEM,
        'MONGODB_URL must be a mongodb:// connection string',
        'HOST must be an IP address or a host name (0.0.0.0 for every interface)',
        'CRM_API_KEYS entry 1 (ops): the role must be one of ingest, analyst, auditor, admin',
        'CRM_API_KEYS entry 2 (till): the secret is shorter than 24 characters',
      ]),
    );
  });

  // API.md's example rules file, written as an operator would.
  const exampleRules = {
    tiers: {
      windowDays: 365,
      levels: [
        { name: 'basic', minSpend: 0 },
        { name: 'silver', minSpend: 1000 },
        { name: 'gold', minSpend: 5000 },
        { name: 'platinum', minSpend: 20000 },
      ],
    },
    lifecycle: { newForDays: 30, atRiskAfterDays: 90, churnedAfterDays: 180 },
    valueMatrix: {
      currentValue: { metric: 'margin12m', high: 2000 },
      longTermValue: { metric: 'predicted', high: 5000 },
    },
    keyAccounts: {
      attractiveness: { factors: { spend12m: 0.5, margin12m: 0.3, growth: 0.2 }, high: 0.6 },
      strength: {
        factors: {
          satisfaction: 0.4,
          complaintsResolvedShare: 0.3,
          tenureYears: 0.1,
          repeatRate: 0.2,
        },
        high: 0.6,
      },
    },
  };

  it("defaults to API.md's example rules, versioned by a 12-digit hash", () => {
    const { version, ...rules } = loadConfig({}).rules;
    expect(rules).toEqual(exampleRules);
    expect(version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('loads a valid rules file and versions it by the hash of its canonical JSON', () => {
    const rules = {
      ...exampleRules,
      tiers: {
        windowDays: 180,
        levels: [
          { name: 'base', minSpend: 0 },
          { name: 'vip', minSpend: 50 },
        ],
      },
      lifecycle: { newForDays: 10, atRiskAfterDays: 20, churnedAfterDays: 40 },
    };
    const loaded = loadConfig({ CRM_RULES_FILE: rulesFile(JSON.stringify(rules)) }).rules;
    expect(loaded).toEqual({ ...rules, version: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(loaded.version).not.toBe(DEFAULT_RULES.version);
    // The same rules with keys in another order and other spacing: the same version.
    const reordered = `{ "lifecycle": ${JSON.stringify(rules.lifecycle)},\n "keyAccounts": ${JSON.stringify(
      rules.keyAccounts,
    )}, "valueMatrix": ${JSON.stringify(rules.valueMatrix)}, "tiers": ${JSON.stringify(rules.tiers)} }`;
    expect(loadConfig({ CRM_RULES_FILE: rulesFile(reordered) }).rules.version).toBe(loaded.version);
  });

  it('keeps an explicit version from the rules file', () => {
    const path = rulesFile(JSON.stringify({ ...exampleRules, version: '2026-spring' }));
    expect(loadConfig({ CRM_RULES_FILE: path }).rules.version).toBe('2026-spring');
  });

  it('names what is wrong in the tiers and lifecycle of a rules file', () => {
    const path = rulesFile(
      JSON.stringify({
        ...exampleRules,
        tiers: {
          windowDays: 0,
          levels: [
            { name: 'a', minSpend: 5 },
            { name: '', minSpend: 1 },
            { name: 'a', minSpend: 10 },
          ],
        },
        lifecycle: { newForDays: 30, atRiskAfterDays: 30, churnedAfterDays: 30 },
      }),
    );
    const [problem] = problemsOf({ CRM_RULES_FILE: path });
    expect(problem).toContain('tiers.windowDays: must be a positive integer');
    expect(problem).toContain('tiers.levels[1].name: must be a non-empty string');
    expect(problem).toContain('tiers.levels[2].name: "a" is already the name of another tier');
    expect(problem).toContain('tiers.levels[0].minSpend: the lowest tier must start at 0');
    expect(problem).toContain('tiers.levels[1].minSpend: must be greater than the tier before it');
    expect(problem).toContain('lifecycle.atRiskAfterDays: must be greater than newForDays');
    expect(problem).toContain('lifecycle.churnedAfterDays: must be greater than atRiskAfterDays');
  });

  it('names what is wrong in the value matrix and key-account blocks of a rules file', () => {
    const path = rulesFile(
      JSON.stringify({
        ...exampleRules,
        version: '',
        extra: true,
        valueMatrix: {
          windowDays: 12.5,
          currentValue: { metric: 'revenue', high: 0 },
          longTermValue: { metric: 'predicted', high: -1, horizonYears: 0, horizon: 3 },
        },
        keyAccounts: {
          attractiveness: { factors: { spend12m: -1, luck: 1 }, high: 1.5 },
          strength: { factors: { satisfaction: 0, tenureYears: 0 }, high: 0.6 },
          caps: { spend12m: 0 },
        },
      }),
    );
    const [problem] = problemsOf({ CRM_RULES_FILE: path });
    for (const expected of [
      'version: must be a non-empty string when given',
      'extra: unknown field',
      'valueMatrix.windowDays: must be a positive integer when given',
      'valueMatrix.currentValue.metric: must be one of margin12m, spend12m',
      'valueMatrix.currentValue.high: must be a number > 0',
      'valueMatrix.longTermValue.high: must be a number > 0',
      'valueMatrix.longTermValue.horizonYears: must be a number > 0',
      'valueMatrix.longTermValue.horizon: unknown field',
      'keyAccounts.attractiveness.factors.spend12m: weight must be a number >= 0',
      'keyAccounts.attractiveness.factors.luck: unknown factor',
      'keyAccounts.attractiveness.high: must be a number from 0 to 1',
      'keyAccounts.strength.factors: weights must add up to more than 0',
      'keyAccounts.caps.spend12m: must be a number > 0',
    ]) {
      expect(problem).toContain(expected);
    }
  });

  it('requires the value matrix and key-account blocks', () => {
    const { valueMatrix: _v, keyAccounts: _k, ...rest } = exampleRules;
    const [problem] = problemsOf({ CRM_RULES_FILE: rulesFile(JSON.stringify(rest)) });
    expect(problem).toContain('valueMatrix: must be an object');
    expect(problem).toContain('keyAccounts: must be an object');
  });

  it('reports a rules file that is not JSON', () => {
    expect(problemsOf({ CRM_RULES_FILE: rulesFile('{ nope') })[0]).toMatch(
      /^CRM_RULES_FILE .*JSON/,
    );
  });
});
