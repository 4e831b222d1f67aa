import { Module } from '@nestjs/common';
import { RecordTouchpointBatchHandler } from './commands/record-touchpoint-batch.command';
import { RecordTouchpointHandler } from './commands/record-touchpoint.command';
import { TouchpointsController } from './touchpoints.controller';

@Module({
  controllers: [TouchpointsController],
  providers: [RecordTouchpointHandler, RecordTouchpointBatchHandler],
})
export class TouchpointsModule {}
