import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type AuthenticatedRequest, Roles } from '../http/auth.guard';
import { commandContext } from '../http/request-context';
import { RunReviewCommand } from './commands/run-review.command';
import { RunReviewDto } from './dto/run-review.dto';

@ApiTags('admin')
@Roles('admin')
@Controller('v1/admin/reviews')
export class ReviewsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run the lifecycle, tier and segment review for a moment',
    description:
      'Appends every time-driven transition due at or before asOf, each effective at the moment its rule names. ' +
      'Idempotent: the same asOf again appends nothing. A scheduler runs it daily (CRM_REVIEW_INTERVAL_MINUTES).',
  })
  @ApiResponse({
    status: 200,
    description: '{ asOf, visited, changed, transitions, byType, failed, position }',
  })
  @ApiResponse({ status: 503, description: 'The profiles read model is behind the event store' })
  run(@Body() body: RunReviewDto, @Req() request: AuthenticatedRequest) {
    return this.commands.execute(
      new RunReviewCommand(body.asOf, commandContext(request, 'review')),
    );
  }
}
