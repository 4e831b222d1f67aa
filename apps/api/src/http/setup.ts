import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { HttpMetrics } from '../metrics/http-metrics';
import { ApiKeyRegistry } from './auth.guard';
import { authenticateFirst, bodyParsing } from './body-parsing';
import { serveDashboard } from './dashboard';
import { ProblemFilter } from './problem.filter';
import { correlationIdOf } from './request-context';
import { createValidationPipe } from './validation';

/** Everything main.ts and the end-to-end tests share, so tests exercise the production pipeline. */
export function configureHttp(app: NestExpressApplication): INestApplication {
  app.disable('x-powered-by');
  // Node closes an idle keep-alive connection after 5 s; a client (or load balancer) that reuses it at that moment
  // gets ECONNRESET. Idle connections are kept longer than common client and proxy idle timeouts instead.
  const server = app.getHttpServer();
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Every answer names the request chain it belongs to: the caller's X-Correlation-Id, or one made up here.
  app.use((request: Request, response: Response, next: NextFunction) => {
    response.set('X-Correlation-Id', correlationIdOf(request));
    next();
  });
  // Then metrics, so every answer is counted, refusals included.
  app.use(app.get(HttpMetrics).middleware);
  // Keys are checked before a body is read, so that nobody without one can make the server parse megabytes.
  app.use(authenticateFirst(app.get(ApiKeyRegistry)));
  // The dashboard's files need no key (its data calls carry one) and no body parsing.
  serveDashboard(app);
  for (const handler of bodyParsing()) app.use(handler);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('CRM event backend')
      .setDescription(
        'Records every customer touchpoint as an event and serves read models. ' +
          'Errors are application/problem+json with a stable `code`; validation errors list every bad field in ' +
          '`errors`. Every 5xx answer carries the `correlationId` it was logged under (also in the ' +
          '`X-Correlation-Id` header of every answer); an unreachable event store or MongoDB answers 503 ' +
          '`STORE_UNAVAILABLE` with `Retry-After`, and the same request may be sent again.',
      )
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description:
          'The secret of a key configured as role:name:secret in CRM_API_KEYS; events record role:name as actor',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
