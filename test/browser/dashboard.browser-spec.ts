import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import type { RunningProjector } from '@apps/projector';
import { KEYS, startTestApi, type TestApi } from '../support/test-api';
import { startTestProjector } from '../support/test-projector';
import { launchBrowser, screenshot } from './browser';
import { seedPopulation, type SeededPopulation } from './seed';

const LOCALE = 'de-DE';
const count = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }).format;
const decimal = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 }).format;
const percent = new Intl.NumberFormat(LOCALE, { style: 'percent', maximumFractionDigits: 1 })
  .format;
const share = (n: number | null) => (n === null ? '–' : percent(n));
const number = (n: number | null) => (n === null ? '–' : decimal(n));

/**
 * The dashboard in Debian's chromium against the real API and projector, on a population seeded through the HTTP
 * API: each view's numbers are compared with the API's own answers to the same questions.
 */
describe('dashboard in a browser', () => {
  let api: TestApi;
  let projector: RunningProjector;
  let seed: SeededPopulation;
  let base: string;
  let browser: { context: BrowserContext; close(): Promise<void> };
  const violations: string[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    projector = await startTestProjector(api.database);
    seed = await seedPopulation(api, 'dash');
    // The page's calls carry no minPosition: wait here until every read model has the seed.
    await request(api.http)
      .get('/v1/analytics/lifecycle')
      .query({ minPosition: seed.position })
      .set('Authorization', KEYS.analyst)
      .expect(200);
    await api.app.listen(0, '127.0.0.1');
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    browser = await launchBrowser(LOCALE);
  });

  afterAll(async () => {
    await browser?.close();
    await projector?.stop();
    await api?.close();
  });

  /** What the API answers the same question with. */
  const answer = async (path: string, query: Record<string, unknown>, key: string = KEYS.analyst) =>
    (await request(api.http).get(path).query(query).set('Authorization', key).expect(200)).body;

  async function openSignedIn(key: string, hash = ''): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()))
        violations.push(message.text());
    });
    await page.goto(`${base}/dashboard/`);
    await page.fill('#api-key', key.replace(/^Bearer /, ''));
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('#nav:not([hidden])');
    if (hash) await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
    return page;
  }

  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();

  it('serves its static files without a key, with content types and a Content-Security-Policy of self only', async () => {
    await request(api.http).get('/dashboard').expect(301).expect('Location', '/dashboard/');
    const page = await request(api.http).get('/dashboard/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe|https?:|\*/);
    const script = await request(api.http).get('/dashboard/app.js').expect(200);
    expect(script.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(script.text).not.toMatch(/https?:\/\/cdn/);
    const style = await request(api.http).get('/dashboard/app.css').expect(200);
    expect(style.headers['content-type']).toMatch(/^text\/css/);
    await request(api.http).get('/dashboard/missing.js').expect(404);
    // The data stay behind the key.
    await request(api.http).get('/v1/analytics/lifecycle').expect(401);
  });

  it('refuses a wrong key with 401 and an ingest key with 403, naming the key that is needed', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${base}/dashboard/`);
    await page.fill('#api-key', 'not-a-key-at-all');
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('.state.error');
    expect(await text(page, '.state.error')).toMatch(/401.*analyst, auditor or admin key/);
    await page.fill('#api-key', KEYS.ingest.replace(/^Bearer /, ''));
    await page.click('#sign-in button[type=submit]');
    await page.waitForSelector('.state.error >> text=403');
    expect(await text(page, '.state.error')).toMatch(/403.*analyst, auditor or admin key/);
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.close();
  });

  it('migration: the heat map table equals the API matrix, none row and column and totals included; a cell lists its customers masked for analysts', async () => {
    const page = await openSignedIn(KEYS.analyst, '#migration');
    await page.selectOption('#migration-form select[name=dimension]', 'tier');
    await page.click('#migration-form button[type=submit]');
    await page.waitForSelector('#migration-table');
    await page.waitForSelector('[data-chart="tier migration heat map"] canvas');
    const from = await page.inputValue('#migration-form input[name=from]');
    const to = await page.inputValue('#migration-form input[name=to]');
    const matrix = await answer('/v1/analytics/migration', { dimension: 'tier', from, to });
    expect(matrix.levels).toContain('none');
    expect(matrix.totals.customers).toBeGreaterThan(0);
    for (const a of matrix.levels as string[]) {
      for (const b of matrix.levels as string[]) {
        const cell = page.locator(`#migration-table button[data-from="${a}"][data-to="${b}"]`);
        const shown = matrix.totals.from[a] === 0 ? 0 : matrix.matrix[a][b] / matrix.totals.from[a];
        expect(await cell.locator('.count').innerText()).toBe(count(matrix.matrix[a][b]));
        expect(await cell.locator('.share').innerText()).toBe(percent(shown));
      }
      expect(await text(page, `[data-total-from="${a}"]`)).toBe(count(matrix.totals.from[a]));
      expect(await text(page, `[data-total-to="${a}"]`)).toBe(count(matrix.totals.to[a]));
    }
    expect(await text(page, '[data-total="customers"]')).toBe(count(matrix.totals.customers));
    await screenshot(page, 'migration');

    await page.click('#migration-table button[data-from="none"][data-to="silver"]');
    await page.waitForSelector('#cell-customers');
    const cell = await answer('/v1/analytics/migration/customers', {
      dimension: 'tier',
      from,
      to,
      fromLevel: 'none',
      toLevel: 'silver',
      limit: 50,
    });
    expect(cell.total).toBe(matrix.matrix.none.silver);
    const rows = page.locator('#cell-customers tbody tr');
    expect(await rows.count()).toBe(cell.items.length);
    const ids = await page.locator('#cell-customers tbody tr td:nth-child(1)').allInnerTexts();
    expect(ids).toEqual(cell.items.map((c: { customerId: string }) => c.customerId));
    const names = await page.locator('#cell-customers tbody tr td:nth-child(2)').allInnerTexts();
    expect(names).toEqual(cell.items.map((c: { name: string }) => c.name));
    for (const [i, name] of names.entries()) {
      expect(name).toContain('***');
      expect(name).not.toBe(seed.nameOf.get(ids[i]));
    }
    await screenshot(page, 'migration-cell');
    await page.close();
  });

  it('lifecycle: stages now, flows of the period and customers at risk equal the API', async () => {
    const page = await openSignedIn(KEYS.analyst, '#lifecycle');
    await page.waitForSelector('#stages-now');
    await page.waitForSelector('#flows-table');
    await page.waitForSelector('[data-chart="stage distribution over time"] canvas');
    await page.waitForSelector('[data-chart="flows between stages"] canvas');
    const now = await answer('/v1/analytics/lifecycle', { limit: 0 });
    for (const [stage, n] of Object.entries(now.distribution as Record<string, number>)) {
      expect(await text(page, `[data-stage="${stage}"]`)).toBe(count(n));
    }
    const from = await page.inputValue('#flows-form input[name=from]');
    const to = await page.inputValue('#flows-form input[name=to]');
    const period = await answer('/v1/analytics/lifecycle', { from, to, limit: 50 });
    const flows = Object.entries(period.period.flows as Record<string, Record<string, number>>)
      .flatMap(([a, row]) => Object.entries(row).map(([b, n]) => [`${a}>${b}`, n] as const))
      .filter(([, n]) => n > 0);
    expect(flows.length).toBeGreaterThan(1);
    expect(await page.locator('#flows-table tbody tr').count()).toBe(flows.length);
    for (const [key, n] of flows) expect(await text(page, `[data-flow="${key}"]`)).toBe(count(n));
    expect(await text(page, '[data-figure="churnRate"]')).toBe(share(period.period.churnRate));
    expect(await text(page, '[data-figure="churned"]')).toBe(count(period.period.churned));
    expect(await text(page, '#at-risk-count')).toBe(count(period.atRisk.customers));
    expect(period.atRisk.customers).toBeGreaterThan(0);
    expect(await page.locator('#at-risk-list li').allInnerTexts()).toEqual(period.atRisk.sample);
    await screenshot(page, 'lifecycle');
    await page.close();
  });

  it('value: the four quadrants with counts and value share, and the RFM segments, equal the API', async () => {
    const page = await openSignedIn(KEYS.analyst, '#value');
    await page.waitForSelector('#quadrant-grid');
    await page.waitForSelector('#rfm-table');
    const report = await answer('/v1/analytics/value-matrix', { limit: 5 });
    expect(report.segments.map((s: { level: string }) => s.level).sort()).toEqual([
      'gold',
      'iron',
      'lead',
      'platinum',
    ]);
    for (const s of report.segments) {
      const card = page.locator(`[data-quadrant="${s.level}"]`);
      expect(await card.locator('[data-field="customers"]').innerText()).toBe(count(s.customers));
      expect(await card.locator('[data-field="valueShare"]').innerText()).toBe(
        percent(s.valueShare),
      );
      expect(await card.locator('[data-field="customerShare"]').innerText()).toBe(
        percent(s.customerShare),
      );
    }
    const rfm = await answer('/v1/analytics/rfm', {});
    for (const [segment, s] of Object.entries(
      rfm.segments as Record<string, { customers: number }>,
    )) {
      expect(await text(page, `[data-rfm="${segment}"]`)).toBe(count(s.customers));
    }
    await screenshot(page, 'value');
    await page.close();
  });

  it('interactions: touchpoints per channel and direction, complaints by category, region and agent, and satisfaction equal the API', async () => {
    const page = await openSignedIn(KEYS.analyst, '#interactions');
    await page.waitForSelector('#channel-table');
    await page.waitForSelector('#complaints-by-agent');
    await page.waitForSelector('#satisfaction-top');
    const from = await page.inputValue('#interactions-form input[name=from]');
    const to = await page.inputValue('#interactions-form input[name=to]');
    const channels = await answer('/v1/analytics/interactions', {
      from,
      to,
      groupBy: 'channel,direction',
    });
    expect(await page.locator('#channel-table tbody tr').count()).toBe(channels.length);
    for (const row of channels) {
      const key = `${row.group.channel} ${row.group.direction}`;
      expect(await text(page, `[data-touchpoints="${key}"]`)).toBe(count(row.touchpoints));
    }
    for (const groupBy of ['category', 'region', 'agent']) {
      const rows = await answer('/v1/analytics/complaints', { from, to, groupBy });
      expect(rows.length).toBeGreaterThan(1);
      const table = page.locator(`#complaints-by-${groupBy}`);
      for (const row of rows) {
        const name = row.group[groupBy] as string;
        expect(await table.locator(`[data-complaints="${name}"]`).innerText()).toBe(
          count(row.complaints),
        );
        expect(await table.locator(`[data-resolved-share="${name}"]`).innerText()).toBe(
          share(row.resolvedShare),
        );
        expect(await table.locator(`[data-hours="${name}"]`).innerText()).toBe(
          number(row.meanHoursToResolve),
        );
      }
    }
    const satisfaction = await answer('/v1/analytics/satisfaction', { limit: 10 });
    for (const side of ['top', 'bottom'] as const) {
      const card = page.locator(`#satisfaction-${side}`);
      expect(await card.locator('[data-field="customers"]').innerText()).toBe(
        count(satisfaction[side].customers),
      );
      expect(await card.locator('[data-field="meanScore"]').innerText()).toBe(
        number(satisfaction[side].meanScore),
      );
    }
    await screenshot(page, 'interactions');
    await page.close();
  });

  it('customer view for an analyst: masked profile and timeline; the history says it needs an auditor key', async () => {
    const customerId = seed.customers[2];
    const page = await openSignedIn(KEYS.analyst, `#customer/${customerId}`);
    await page.waitForSelector('#profile-card');
    await page.waitForSelector('#timeline-table');
    const profile = await answer(`/v1/profiles/${customerId}`, {});
    expect(await text(page, '#profile-card [data-field="name"]')).toBe(profile.name);
    expect(profile.name).toContain('***');
    expect(await text(page, '#profile-card [data-field="email"]')).toBe(profile.email);
    expect(await text(page, '#profile-card [data-field="spend"]')).toBe(
      number(profile.spend.lifetime),
    );
    const timeline = await answer(`/v1/profiles/${customerId}/timeline`, {});
    const shown = timeline.intervals.filter((i: { dimension: string }) =>
      ['tier', 'stage'].includes(i.dimension),
    );
    expect(await page.locator('#timeline-table tbody tr').count()).toBe(shown.length);
    await page.waitForSelector('#customer-history .state.error');
    expect(await text(page, '#customer-history .state.error')).toMatch(/403.*auditor or admin key/);
    await screenshot(page, 'customer-analyst');
    await page.close();
  });

  it('customer view for an auditor: the full profile, the whole history, and the as-of slider showing the state at a moment', async () => {
    const customerId = seed.customers[2];
    const page = await openSignedIn(KEYS.auditor, `#customer/${customerId}`);
    await page.waitForSelector('#history-table');
    await page.waitForSelector('#as-of-card');
    expect(await text(page, '#profile-card [data-field="name"]')).toBe(seed.nameOf.get(customerId));
    const history = await answer(
      `/v1/customers/${customerId}/history`,
      { limit: 200 },
      KEYS.auditor,
    );
    expect(await page.locator('#history-table tbody tr').count()).toBe(history.items.length);
    expect(history.items.length).toBeGreaterThan(2);
    // Move the slider to the hour after registration, before the first purchase.
    const slider = page.locator('#as-of-slider');
    const min = Number(await slider.getAttribute('min'));
    const at = min + 3_600_000;
    await slider.evaluate(
      (input: { value: string; dispatchEvent(event: Event): boolean }, value) => {
        input.value = String(value);
        input.dispatchEvent(new Event('change'));
      },
      at,
    );
    await page.waitForSelector(`#as-of-card[data-at="${new Date(at).toISOString()}"]`);
    const asOf = await answer(
      `/v1/customers/${customerId}/as-of`,
      { at: new Date(at).toISOString() },
      KEYS.auditor,
    );
    expect(asOf.tier).toBeNull();
    expect(await text(page, '#as-of-card [data-field="stage"]')).toBe(
      asOf.stage.replace(/_/g, ' '),
    );
    expect(await text(page, '#as-of-card [data-field="tier"]')).toBe('none');
    expect(await text(page, '#as-of-card [data-field="eventsApplied"]')).toBe(
      count(asOf.eventsApplied),
    );
    expect(await text(page, '#as-of-card [data-field="spend"]')).toBe(
      number(asOf.profile.spend.lifetime),
    );
    await screenshot(page, 'customer-auditor');
    await page.close();
  });

  it('customer view for an auditor pages through a history longer than one page', async () => {
    const customerId = seed.customers[1];
    const page = await openSignedIn(KEYS.auditor, `#customer/${customerId}`);
    await page.waitForSelector('#history-table');
    const first = await answer(`/v1/customers/${customerId}/history`, { limit: 200 }, KEYS.auditor);
    expect(first.nextCursor).not.toBeNull();
    expect(await page.locator('#history-table tbody tr').count()).toBe(200);
    await page.click('#history-events button.more');
    await page.waitForSelector('#history-table caption >> text=/^All /');
    const rest = await answer(
      `/v1/customers/${customerId}/history`,
      { limit: 200, cursor: first.nextCursor },
      KEYS.auditor,
    );
    const revisions = await page.locator('#history-table tbody tr td:nth-child(1)').allInnerTexts();
    expect(revisions).toEqual(
      [...first.items, ...rest.items].map((e: { revision: number }) => count(e.revision)),
    );
    await page.close();
  });

  it('says so when a view has nothing to show: a region without customers', async () => {
    const page = await openSignedIn(KEYS.analyst, '#migration');
    await page.fill('#migration-form input[name=region]', 'nowhere');
    await page.click('#migration-form button[type=submit]');
    await page.waitForSelector('#migration-result .state.empty');
    expect(await text(page, '#migration-result .state.empty')).toMatch(/No customer held a tier/);
    await page.close();
  });

  it('fits a phone-width screen: nothing wider than the viewport but the scrolling tables', async () => {
    const page = await openSignedIn(KEYS.analyst, '#migration');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForSelector('#migration-table');
    await page.waitForSelector('[data-chart="tier migration heat map"] canvas');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      390,
    );
    const chartWidth = await page
      .locator('[data-chart="tier migration heat map"]')
      .evaluate((e) => e.clientWidth);
    expect(chartWidth).toBeLessThanOrEqual(390);
    await screenshot(page, 'migration-phone');
    await page.goto(`${base}/dashboard/#value`);
    await page.waitForSelector('#quadrant-grid');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      390,
    );
    await screenshot(page, 'value-phone');
    await page.close();
  });

  it('the pages broke no rule of their Content-Security-Policy', () => {
    expect(violations).toEqual([]);
  });
});
