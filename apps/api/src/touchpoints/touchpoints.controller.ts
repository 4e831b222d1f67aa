import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type AuthenticatedRequest, Roles } from '../http/auth.guard';
import { commandContext } from '../http/request-context';
import { RecordTouchpointBatchCommand } from './commands/record-touchpoint-batch.command';
import { RecordTouchpointCommand } from './commands/record-touchpoint.command';
import { TouchpointBatchDto } from './dto/touchpoint-batch.dto';
import { TouchpointDto } from './dto/touchpoint.dto';

@ApiTags('touchpoints')
@ApiBearerAuth()
@Roles('ingest')
@Controller('v1/touchpoints')
export class TouchpointsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiOperation({
    summary: 'Record one touchpoint',
    description:
      'Idempotent on source + touchpointId: a retry answers 200 with the same eventId and duplicate: true. ' +
      'A touchpoint for an unknown customer creates the customer as a prospect.',
  })
  @ApiResponse({
    status: 201,
    description: 'Stored: { eventId, customerId, revision, position, duplicate: false }',
  })
  @ApiResponse({ status: 200, description: 'Already stored earlier: duplicate: true' })
  @ApiResponse({ status: 400, description: 'Validation failed; every problem is listed in errors' })
  async record(
    @Body() touchpoint: TouchpointDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
  ) {
    const receipt = await this.commands.execute(
      new RecordTouchpointCommand(touchpoint, commandContext(request, touchpoint.source)),
    );
    response.status(receipt.duplicate ? 200 : 201);
    return receipt;
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Record up to 1 000 touchpoints',
    description:
      'Each item gets its own result: created, duplicate or rejected (with its errors). Rejected items are not ' +
      'stored; the others are. If the store fails part-way the request answers 503 and may be retried as a ' +
      'whole: items already stored then come back as duplicates.',
  })
  async recordBatch(@Body() batch: TouchpointBatchDto, @Req() request: AuthenticatedRequest) {
    return this.commands.execute(
      new RecordTouchpointBatchCommand(batch.touchpoints, commandContext(request)),
    );
  }
}
