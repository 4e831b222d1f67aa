import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { AppConfig } from '@app/config';
import { AdminModule } from './admin/admin.module';
import { AnalyticsModule } from './analytics/analytics.module';
import { AuditModule } from './audit/audit.module';
import { CustomersModule } from './customers/customers.module';
import { HealthModule } from './health/health.module';
import { ApiKeyGuard, ApiKeyRegistry } from './http/auth.guard';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProfilesModule } from './profiles/profiles.module';
import { ReviewsModule } from './reviews/reviews.module';
import { TouchpointsModule } from './touchpoints/touchpoints.module';
import { VerificationModule } from './verification/verification.module';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CqrsModule.forRoot(),
        InfrastructureModule.forRoot(config),
        CustomersModule,
        TouchpointsModule,
        ProfilesModule,
        AnalyticsModule,
        ReviewsModule,
        AdminModule,
        AuditModule,
        MetricsModule,
        VerificationModule,
        HealthModule,
      ],
      providers: [
        { provide: ApiKeyRegistry, useValue: new ApiKeyRegistry(config.apiKeys) },
        {
          provide: APP_GUARD,
          inject: [Reflector, ApiKeyRegistry],
          useFactory: (reflector: Reflector, registry: ApiKeyRegistry) =>
            new ApiKeyGuard(reflector, registry),
        },
      ],
    };
  }
}
