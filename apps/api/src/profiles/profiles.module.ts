import { Module } from '@nestjs/common';
import { AnalyticsModule } from '../analytics/analytics.module';
import { ProfilesController } from './profiles.controller';
import { GetProfileHandler } from './queries/get-profile.query';
import { GetTimelineHandler } from './queries/get-timeline.query';
import { ListProfilesHandler } from './queries/list-profiles.query';

@Module({
  imports: [AnalyticsModule],
  controllers: [ProfilesController],
  providers: [GetProfileHandler, GetTimelineHandler, ListProfilesHandler],
})
export class ProfilesModule {}
