import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { problem } from './problem';
import { sendProblem } from './problem.filter';

/**
 * The dashboard's page may load and connect to this origin only: no inline script or style, no other host, no
 * framing. The data calls carry the API key themselves, so the static files are served without one.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The folder `npm run build` writes the dashboard to: dist/dashboard beside the package.json above this file. */
export function dashboardDir(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return join(from, 'dashboard');
    dir = parent;
  }
  return join(dir, 'dist', 'dashboard');
}

/** Serves the built dashboard under /dashboard/, with its content types and the page's security headers. */
export function serveDashboard(
  // The Nest application in production, a bare express app in its spec: both mount a path handler.
  app: {
    use(
      path: string,
      handler: (request: Request, response: Response, next: NextFunction) => void,
    ): unknown;
  },
  dir: string = dashboardDir(),
): void {
  const files = express.static(dir, {
    index: 'index.html',
    fallthrough: false,
    redirect: true,
    setHeaders(response, path) {
      // The page names its assets without a version: it is checked on every load, they at least hourly.
      response.set('Cache-Control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=3600');
    },
  });
  app.use('/dashboard', (request: Request, response: Response, next: NextFunction) => {
    response.set({
      'Content-Security-Policy': DASHBOARD_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    if (!existsSync(join(dir, 'index.html'))) {
      sendProblem(
        response,
        problem(
          503,
          `The dashboard is not built (no ${join(dir, 'index.html')}): run npm run build`,
        ),
      );
      return;
    }
    files(request, response, (error?: unknown) => {
      const status = (error as { status?: number } | undefined)?.status;
      // No such file (404), or a path that climbs out of the folder (403): an answer, not a server error.
      if (status === 404 || status === 403) {
        sendProblem(response, problem(status, `No dashboard file ${request.path}`));
        return;
      }
      next(error);
    });
  });
}
