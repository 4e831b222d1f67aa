import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type AuthenticatedRequest, Roles } from '../http/auth.guard';
import { itemError } from '../http/problem.filter';
import { commandContext, correlationIdOf } from '../http/request-context';
import { StoreUnavailableError } from '../http/store-unavailable';
import { validateItems } from '../http/validate-item';
import { RecordTouchpointBatchCommand } from './commands/record-touchpoint-batch.command';
import { RecordTouchpointCommand } from './commands/record-touchpoint.command';
import {
  type BatchItemResult,
  type BatchReceipt,
  TouchpointBatchDto,
} from './dto/touchpoint-batch.dto';
import { TouchpointDto } from './dto/touchpoint.dto';

const TEXT_FIELDS =
  'Prose (note, comment, reason, resolution, page, attributes) is stored sealed with the customer key; the ' +
  'dimensions analysts group by (region, department, agentId, product, category, topic...) are bounded codes. ' +
  'Text with invalid UTF-8, lone surrogates, control or bidirectional characters, or nothing visible, a customerId ' +
  'that looks like an e-mail address or phone number, T24:00 times and currencies outside ISO 4217 are refused ' +
  'naming the field.';

@ApiTags('touchpoints')
@Roles('ingest')
@Controller('v1/touchpoints')
export class TouchpointsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiOperation({
    summary: 'Record one touchpoint',
    description:
      'Idempotent on source + touchpointId: a retry answers 200 with duplicate: true and the eventId, revision ' +
      'and position of the stored touchpoint; exactly one send of a touchpoint answers 201, however many API ' +
      'processes it is sent to at once. A touchpoint id belongs to the customer it was first sent for: sent for ' +
      'another, it answers 409 TOUCHPOINT_ID_REUSED naming that customer, and nothing is stored. ' +
      'A touchpoint for an unknown customer creates the customer as a prospect. ' +
      TEXT_FIELDS,
  })
  @ApiResponse({
    status: 201,
    description: 'Stored: { eventId, customerId, revision, position, duplicate: false }',
  })
  @ApiResponse({
    status: 200,
    description:
      'Already stored: { eventId, customerId, revision, position, duplicate: true } of the stored event',
  })
  @ApiResponse({
    status: 409,
    description:
      'TOUCHPOINT_ID_REUSED: this source and touchpointId belong to another customer (details.belongsTo)',
  })
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
      'Each item gets its own result: created or duplicate (with eventId, revision and position), or rejected ' +
      '(with its errors, e.g. TOUCHPOINT_ID_REUSED naming the customer the id belongs to). Rejected items are not ' +
      'stored; the others are. If the store fails part-way the request answers 503 and may be retried as a ' +
      'whole: items already stored then come back as duplicates. ' +
      TEXT_FIELDS,
  })
  @ApiResponse({
    status: 503,
    description:
      'STORE_UNAVAILABLE (with Retry-After): a store could not be reached for some item; send the batch again',
  })
  async recordBatch(
    @Body() batch: TouchpointBatchDto,
    @Req() request: AuthenticatedRequest,
  ): Promise<BatchReceipt> {
    const { valid, invalid } = validateItems(TouchpointDto, batch.touchpoints);
    const stored = await this.commands.execute(
      new RecordTouchpointBatchCommand(
        valid.map(({ value }) => value),
        commandContext(request),
      ),
    );
    const results = new Array<BatchItemResult>(batch.touchpoints.length);
    for (const { index, errors } of invalid) results[index] = { index, status: 'rejected', errors };
    stored.outcomes.forEach((outcome, i) => {
      const { index } = valid[i];
      results[index] =
        outcome.status === 'failed'
          ? {
              index,
              status: 'rejected',
              errors: [itemError(outcome.error, correlationIdOf(request))],
            }
          : { index, ...outcome };
    });
    // Per-item results would tell the emitter to resend only some items; a whole retry is as safe (stored items
    // come back as duplicates) and is what an outage calls for.
    const outage = results
      .flatMap((result) => (result.status === 'rejected' ? result.errors : []))
      .find((error) => 'code' in error && error.code === 'STORE_UNAVAILABLE');
    if (outage) throw new StoreUnavailableError(outage.message);
    return { results, position: stored.position };
  }
}
