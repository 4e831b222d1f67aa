import { Module } from '@nestjs/common';
import { RebuildProjectionHandler } from './commands/rebuild-projection.command';
import { ProjectionsController } from './projections.controller';
import { GetProjectionsHandler } from './queries/get-projections.query';

/** Administration of the read side: the projections' state, and rebuilds. */
@Module({
  controllers: [ProjectionsController],
  providers: [GetProjectionsHandler, RebuildProjectionHandler],
})
export class AdminModule {}
