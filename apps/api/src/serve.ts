import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AppConfig } from '@app/config';
import { configureHttp } from './http/setup';

/**
 * Puts a composed API application on the network as main.ts does: the production HTTP pipeline, the configured
 * address, the line the launcher waits for, and a clean exit on SIGINT/SIGTERM.
 */
export async function serveApi(app: NestExpressApplication, config: AppConfig): Promise<void> {
  const logger = new Logger('API');
  configureHttp(app);
  await app.listen(config.port, config.host);
  const bound = app.getHttpServer().address() as AddressInfo;
  const url = httpUrl(bound);
  if (config.usingDevKeys && !isLoopback(bound.address)) {
    logger.warn(
      `The development keys open ${url} to other machines: set CRM_API_KEYS, or HOST=127.0.0.1`,
    );
  }
  // The launcher waits for this line (printed last); the address is the one the socket is bound to.
  logger.log(`API listening on ${url} (docs at ${url}/docs)`);

  // Finish in-flight requests and close the store connections, then exit normally (exit code 0).
  const shutdown = (signal: string) => {
    logger.log(`${signal}: closing`);
    void app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

function httpUrl({ address, family, port }: AddressInfo): string {
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}
