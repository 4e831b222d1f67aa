import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { StoreHealthIndicators } from './store.health';

/** `GET /health/live` and `GET /health/ready`: no key, for load balancers and orchestrators. */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' })],
  controllers: [HealthController],
  providers: [StoreHealthIndicators],
})
export class HealthModule {}
