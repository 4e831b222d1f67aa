import { Module } from '@nestjs/common';
import { ProjectionsController } from './projections.controller';
import { GetProjectionsHandler } from './queries/get-projections.query';

/** Administration of the read side: the projections' state. */
@Module({
  controllers: [ProjectionsController],
  providers: [GetProjectionsHandler],
})
export class AdminModule {}
