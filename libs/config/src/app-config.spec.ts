import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_RULES, DEV_API_KEYS, loadConfig } from '@app/config';

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
      dataDir: './data',
      mongoDb: 'crm',
      usingDevKeys: true,
    });
    expect(sut.apiKeys).toEqual(DEV_API_KEYS);
    expect(sut.rules).toEqual(DEFAULT_RULES);
  });

  it('parses role:key pairs', () => {
    const sut = loadConfig({ CRM_API_KEYS: 'ingest:abcdefgh1, admin:zyxwvuts2' });
    expect(sut.apiKeys).toEqual([
      { role: 'ingest', key: 'abcdefgh1' },
      { role: 'admin', key: 'zyxwvuts2' },
    ]);
    expect(sut.usingDevKeys).toBe(false);
  });

  it('refuses to start in production without keys', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      expect.stringContaining('CRM_API_KEYS is required when NODE_ENV=production'),
    ]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      EVENTSTORE_URL: 'http://x',
      MONGODB_URL: 'postgres://x',
      CRM_API_KEYS: 'root:abcdefgh,ingest:short',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'PORT must be an integer',
        'EVENTSTORE_URL must be an esdb:// connection string',
        'MONGODB_URL must be a mongodb:// connection string',
        expect.stringContaining('entry 1 must be role:key'),
        expect.stringContaining('entry 2 (ingest): key must be at least 8 characters'),
      ]),
    );
  });

  it('loads a valid rules file', () => {
    const rules = {
      tiers: {
        windowDays: 180,
        levels: [
          { name: 'base', minSpend: 0 },
          { name: 'vip', minSpend: 50 },
        ],
      },
      lifecycle: { newForDays: 10, atRiskAfterDays: 20, churnedAfterDays: 40 },
    };
    expect(loadConfig({ CRM_RULES_FILE: rulesFile(JSON.stringify(rules)) }).rules).toEqual(rules);
  });

  it('names what is wrong in a rules file', () => {
    const path = rulesFile(
      JSON.stringify({
        tiers: {
          windowDays: 0,
          levels: [
            { name: 'a', minSpend: 5 },
            { name: '', minSpend: 1 },
          ],
        },
        lifecycle: { newForDays: 1, atRiskAfterDays: 30, churnedAfterDays: 30 },
      }),
    );
    const [problem] = problemsOf({ CRM_RULES_FILE: path });
    expect(problem).toContain('tiers.windowDays: must be a positive integer');
    expect(problem).toContain('tiers.levels[1].name: must be a non-empty string');
    expect(problem).toContain('tiers.levels[0].minSpend: the lowest tier must start at 0');
    expect(problem).toContain('tiers.levels[1].minSpend: must be greater than the tier before it');
    expect(problem).toContain('lifecycle.churnedAfterDays: must be greater than atRiskAfterDays');
  });

  it('reports a rules file that is not JSON', () => {
    expect(problemsOf({ CRM_RULES_FILE: rulesFile('{ nope') })[0]).toMatch(
      /^CRM_RULES_FILE .*JSON/,
    );
  });
});
