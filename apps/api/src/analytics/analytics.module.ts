import { Module } from '@nestjs/common';
import { TimelineCache } from '@app/read-models';
import { AnalyticsController } from './analytics.controller';
import {
  ComplaintsHandler,
  ContactPressureHandler,
  InteractionsHandler,
} from './queries/interactions.query';
import { LifecycleHandler } from './queries/lifecycle.query';
import { MigrationCustomersHandler, MigrationHandler } from './queries/migration.query';
import { RfmHandler, SatisfactionHandler, SegmentReportHandler } from './queries/segments.query';
import { RfmBoundariesService } from './rfm-boundaries.service';

@Module({
  controllers: [AnalyticsController],
  providers: [
    RfmBoundariesService,
    // One per process: population-wide queries read only the timeline buckets changed since the last one.
    { provide: TimelineCache, useValue: new TimelineCache() },
    MigrationHandler,
    MigrationCustomersHandler,
    LifecycleHandler,
    SegmentReportHandler,
    RfmHandler,
    SatisfactionHandler,
    InteractionsHandler,
    ComplaintsHandler,
    ContactPressureHandler,
  ],
  exports: [RfmBoundariesService],
})
export class AnalyticsModule {}
