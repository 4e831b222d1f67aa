import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type AuthenticatedRequest, Roles } from '../http/auth.guard';
import { customerIdParam } from '../http/common-validators';
import { WaitsForReadModels } from '../http/min-position';
import { decodeCursor, encodeCursor, ReadQueryDto } from '../http/read-query';
import { ListProfilesDto } from './dto/list-profiles.dto';
import { GetProfileQuery } from './queries/get-profile.query';
import { GetTimelineQuery } from './queries/get-timeline.query';
import { ListProfilesQuery } from './queries/list-profiles.query';

@ApiTags('profiles')
@Roles('analyst', 'auditor')
@WaitsForReadModels('profiles')
@Controller('v1/profiles')
export class ProfilesController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':id')
  @ApiOperation({
    summary: 'The 360° profile of one customer',
    description:
      'Identity (masked for analysts), counts per channel, kind and direction, spend lifetime and in the tier ' +
      'window, orders, last purchase, RFM scores, satisfaction, open complaints, consents, lifecycle stage, tier, ' +
      'value quadrant and key-account segment, each with since when.',
  })
  @ApiResponse({
    status: 404,
    description: 'No such customer in the read model (yet: see minPosition)',
  })
  async profile(
    @Param('id') id: string,
    @Query() _query: ReadQueryDto,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.queries.execute(new GetProfileQuery(customerIdParam(id), request.principal!.role));
  }

  @Get(':id/timeline')
  @ApiOperation({
    summary: "A customer's tier, stage, value-quadrant and key-account intervals, oldest first",
    description:
      'Each interval: the level, from when, until when (null while held), the reason and the rule version.',
  })
  @ApiResponse({ status: 404, description: 'No such customer in the read model' })
  async timeline(@Param('id') id: string, @Query() _query: ReadQueryDto) {
    return this.queries.execute(new GetTimelineQuery(customerIdParam(id)));
  }

  @Get()
  @ApiOperation({
    summary: 'Profiles by stage, tier, region, quadrant or key-account segment, in pages',
    description:
      'Ordered by customer id; pass nextCursor as cursor for the next page (null on the last one).',
  })
  async list(@Query() query: ListProfilesDto, @Req() request: AuthenticatedRequest) {
    const { stage, tier, region, quadrant, account } = query;
    const page = await this.queries.execute(
      new ListProfilesQuery(
        { stage, tier, region, quadrant, account },
        query.limit ?? 50,
        decodeCursor(query.cursor),
        request.principal!.role,
      ),
    );
    return { items: page.items, nextCursor: encodeCursor(page.next) };
  }
}
