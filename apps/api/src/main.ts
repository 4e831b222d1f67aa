import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadConfig } from '@app/config';
import { ApiModule } from './api.module';
import { serveApi } from './serve';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.usingDevKeys) {
    new Logger('API').warn(
      'CRM_API_KEYS is not set: using the development keys dev-ingest, dev-analyst, dev-auditor, dev-admin',
    );
  }
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bodyParser: false,
    logger: ['log', 'warn', 'error'],
  });
  await serveApi(app, config);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
