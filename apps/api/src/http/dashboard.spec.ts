import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { DASHBOARD_CSP, dashboardDir, serveDashboard } from './dashboard';

describe(serveDashboard.name, () => {
  let dir: string;
  let sut: express.Express;

  beforeEach(() => {
    // The served folder inside another, so a climb out of it has something to find.
    dir = join(mkdtempSync(join(tmpdir(), 'dashboard-')), 'public');
    mkdirSync(dir);
    sut = express();
    serveDashboard(sut, dir);
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('answers 503 naming npm run build while the dashboard is not built', async () => {
    const response = await request(sut).get('/dashboard/').expect(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.detail).toMatch(/npm run build/);
  });

  it('serves the built files with their content types and the self-only policy, without a key', async () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'app.js'), 'export {};');
    writeFileSync(join(dir, 'app.css'), 'body{}');
    const page = await request(sut).get('/dashboard/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(
      (await request(sut).get('/dashboard/app.js').expect(200)).headers['content-type'],
    ).toMatch(/javascript/);
    expect(
      (await request(sut).get('/dashboard/app.css').expect(200)).headers['content-type'],
    ).toMatch(/^text\/css/);
    await request(sut).get('/dashboard').expect(301).expect('Location', '/dashboard/');
  });

  it('answers 404 for a file it does not have, and never serves outside its folder', async () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    await request(sut).get('/dashboard/nothing.js').expect(404);
    writeFileSync(join(dir, '..', 'secret.txt'), 'outside');
    const climb = await request(sut).get('/dashboard/..%2fsecret.txt').expect(403);
    expect(climb.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(climb.text).not.toContain('outside');
  });

  it('the policy allows this origin only: no inline code, no other host, no framing', () => {
    expect(DASHBOARD_CSP).toMatch(/default-src 'self'/);
    expect(DASHBOARD_CSP).toMatch(/frame-ancestors 'none'/);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe|https?:|\*|data:/);
  });

  it('looks for the build in dist/dashboard beside the package.json above it', () => {
    expect(dashboardDir(__dirname)).toBe(
      join(__dirname, '..', '..', '..', '..', 'dist', 'dashboard'),
    );
  });
});
