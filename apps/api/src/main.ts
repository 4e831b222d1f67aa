import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadConfig } from '@app/config';
import { ApiModule } from './api.module';
import { configureHttp } from './http/setup';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new Logger('API');
  if (config.usingDevKeys) {
    logger.warn(
      'CRM_API_KEYS is not set: using the development keys dev-ingest, dev-analyst, dev-auditor, dev-admin',
    );
  }
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bodyParser: false,
    logger: ['log', 'warn', 'error'],
  });
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

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
