import { Controller, Get, Query, Req } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ComplaintGroup, InteractionGroup } from '@app/read-models';
import { type AuthenticatedRequest, Roles } from '../http/auth.guard';
import { WaitsForReadModels } from '../http/min-position';
import { decodeCursor, encodeCursor, queryInstant } from '../http/read-query';
import {
  AtDto,
  ComplaintsDto,
  ContactPressureDto,
  InteractionsDto,
  LifecycleDto,
  MigrationCustomersDto,
  MigrationDto,
  PeriodDto,
} from './dto/analytics.dto';
import {
  ComplaintsQuery,
  ContactPressureQuery,
  InteractionsQuery,
} from './queries/interactions.query';
import { LifecycleQuery } from './queries/lifecycle.query';
import { MigrationCustomersQuery, MigrationQuery } from './queries/migration.query';
import { RfmQuery, SatisfactionQuery, SegmentReportQuery } from './queries/segments.query';

const DAY_MS = 86_400_000;

function period(query: PeriodDto) {
  return {
    from: query.from === undefined ? undefined : queryInstant(query.from, 'from', new Date()),
    to: query.to === undefined ? undefined : queryInstant(query.to, 'to', new Date()),
    region: query.region,
  };
}

@ApiTags('analytics')
@Roles('analyst', 'auditor')
@WaitsForReadModels()
@Controller('v1/analytics')
export class AnalyticsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('migration')
  @ApiOperation({
    summary:
      'Migration matrix of tiers, stages, value quadrants or key-account segments between two moments',
    description:
      'matrix["<level at from>"]["<level at to>"] counts customers; "none" stands for no level at that moment ' +
      '(not yet a customer or member, erased). totals.from / totals.to are the row and column sums.',
  })
  migration(@Query() query: MigrationDto) {
    const now = new Date();
    return this.queries.execute(
      new MigrationQuery(
        query.dimension,
        queryInstant(query.from, 'from', now),
        queryInstant(query.to, 'to', now),
        query.region,
      ),
    );
  }

  @Get('migration/customers')
  @ApiOperation({
    summary: 'The customers of one cell of the migration matrix, in pages',
    description:
      'Customers whose level was `fromLevel` at `from` and is `toLevel` at `to` ("none" for no level), ordered by ' +
      "customer id, as profiles (personal data masked for analysts); `total` is the cell's count in the matrix. " +
      'Pass nextCursor as cursor for the next page (null on the last one).',
  })
  async migrationCustomers(
    @Query() query: MigrationCustomersDto,
    @Req() request: AuthenticatedRequest,
  ) {
    const now = new Date();
    const { next, ...cell } = await this.queries.execute(
      new MigrationCustomersQuery(
        query.dimension,
        queryInstant(query.from, 'from', now),
        queryInstant(query.to, 'to', now),
        query.fromLevel,
        query.toLevel,
        query.limit ?? 50,
        decodeCursor(query.cursor),
        request.principal!.role,
        query.region,
      ),
    );
    return { ...cell, nextCursor: encodeCursor(next) };
  }

  @Get('lifecycle')
  @ApiOperation({
    summary: 'Stage distribution at a moment, churn and retention over a period, customers at risk',
  })
  lifecycle(@Query() query: LifecycleDto) {
    const at = queryInstant(query.at, 'at', new Date());
    const to = queryInstant(query.to, 'to', at);
    const from = queryInstant(query.from, 'from', new Date(to.getTime() - 90 * DAY_MS));
    return this.queries.execute(new LifecycleQuery(at, from, to, query.limit ?? 20, query.region));
  }

  @Get('value-matrix')
  @ApiOperation({
    summary: 'Value matrix: platinum, gold, iron and lead customers with count and value share',
    description:
      'Segments as they stand now; value is net spend in the value window ending at `at`.',
  })
  valueMatrix(@Query() query: AtDto) {
    const at = queryInstant(query.at, 'at', new Date());
    return this.queries.execute(
      new SegmentReportQuery('quadrant', at, query.limit ?? 20, query.region),
    );
  }

  @Get('key-accounts')
  @ApiOperation({
    summary: 'Key-account matrix (KAISM): key, key development, maintenance, opportunistic',
    description:
      'Each segment with its customers (highest value first, `limit` of them), value share and mean scores.',
  })
  keyAccounts(@Query() query: AtDto) {
    const at = queryInstant(query.at, 'at', new Date());
    return this.queries.execute(
      new SegmentReportQuery('account', at, query.limit ?? 20, query.region),
    );
  }

  @Get('rfm')
  @ApiOperation({
    summary: 'RFM quintile boundaries, named segments and the recency × frequency grid',
  })
  rfm(@Query() query: AtDto) {
    return this.queries.execute(
      new RfmQuery(queryInstant(query.at, 'at', new Date()), query.region),
    );
  }

  @Get('satisfaction')
  @ApiOperation({
    summary: 'Top and bottom 20 % of customers by satisfaction score, with their characteristics',
  })
  satisfaction(@Query() query: AtDto) {
    const at = queryInstant(query.at, 'at', new Date());
    return this.queries.execute(new SatisfactionQuery(at, query.limit ?? 20, query.region));
  }

  @Get('complaints')
  @ApiOperation({
    summary: 'Complaints by category, product, region, agent, …',
    description:
      'Per group: count, share resolved, mean hours to resolve, share satisfied after resolution, escalation ' +
      'rate and first-contact resolution (resolved without escalation or reopening).',
  })
  complaints(@Query() query: ComplaintsDto) {
    const groupBy = (query.groupBy ?? 'category').split(',') as ComplaintGroup[];
    return this.queries.execute(new ComplaintsQuery(groupBy, period(query)));
  }

  @Get('interactions')
  @ApiOperation({
    summary: 'Touchpoints by channel, direction, department, week, …',
    description:
      'Per group: touchpoints and distinct customers; grouped only by dimensions complaints also have, each ' +
      'group carries the first-contact resolution and escalation rate of the complaints opened in it.',
  })
  interactions(@Query() query: InteractionsDto) {
    const groupBy = (query.groupBy ?? 'channel,direction').split(',') as InteractionGroup[];
    return this.queries.execute(new InteractionsQuery(groupBy, period(query)));
  }

  @Get('contact-pressure')
  @ApiOperation({
    summary: 'Customers reached (outbound) by several departments in the same week',
  })
  contactPressure(@Query() query: ContactPressureDto) {
    return this.queries.execute(
      new ContactPressureQuery(period(query), query.minDepartments ?? 2, query.limit ?? 20),
    );
  }
}
