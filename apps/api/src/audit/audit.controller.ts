import { Body, Controller, Get, Headers, Param, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type AuthenticatedRequest, Roles } from '../http/auth.guard';
import { customerIdParam } from '../http/common-validators';
import { queryInstant } from '../http/read-query';
import { commandContext } from '../http/request-context';
import { EraseCustomerCommand } from './commands/erase-customer.command';
import { AsOfQueryDto } from './dto/as-of-query.dto';
import { EraseCustomerDto } from './dto/erase-customer.dto';
import { HISTORY_PAGE_DEFAULT, HistoryQueryDto } from './dto/history-query.dto';
import { type HistoryFilter, historyTypes } from './history';
import { decodeHistoryCursor } from './history-cursor';
import { writeNdjson } from './ndjson';
import { GetAsOfQuery } from './queries/get-as-of.query';
import { GetHistoryQuery, StreamHistoryQuery } from './queries/get-history.query';

const NDJSON = 'application/x-ndjson';

@ApiTags('audit')
@Roles('auditor')
@Controller('v1/customers')
export class AuditController {
  constructor(
    private readonly queries: QueryBus,
    private readonly commands: CommandBus,
  ) {}

  @Get(':id/history')
  @ApiOperation({
    summary: "Every event of a customer's stream, with its full metadata",
    description:
      'Oldest first, with revision, commit position, eventId, type, touchpoint kind, occurredAt, recordedAt, actor, ' +
      'source, correlation and causation ids, schema version and the payload, personal fields opened. Once the ' +
      `customer is erased, personal fields read "[erased]". Pages are cut by revision (limit, cursor). With Accept: ` +
      `${NDJSON} the whole (filtered) history is streamed, one event per line, from cursor if given; limit is ignored.`,
  })
  @ApiProduces('application/json', NDJSON)
  @ApiResponse({ status: 200, description: '{ customerId, items, nextCursor } or NDJSON lines' })
  @ApiResponse({ status: 404, description: 'No such customer' })
  async history(
    @Param('id') id: string,
    @Query() query: HistoryQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const customerId = customerIdParam(id);
    const filter: HistoryFilter = {
      from:
        query.from === undefined
          ? undefined
          : queryInstant(query.from, 'from', new Date()).getTime(),
      to: query.to === undefined ? undefined : queryInstant(query.to, 'to', new Date()).getTime(),
      types: historyTypes(query.kinds),
    };
    const fromRevision = query.cursor === undefined ? 0 : (decodeHistoryCursor(query.cursor) ?? 0);
    if (accept?.includes(NDJSON)) {
      const events = await this.queries.execute(
        new StreamHistoryQuery(customerId, filter, fromRevision),
      );
      await writeNdjson(response, events);
      return;
    }
    const page = await this.queries.execute(
      new GetHistoryQuery(customerId, filter, query.limit ?? HISTORY_PAGE_DEFAULT, fromRevision),
    );
    response.json(page);
  }

  @Get(':id/as-of')
  @ApiOperation({
    summary: 'The customer as it was at business time `at`, as known at `knownAt`',
    description:
      'Folds the events recorded (metadata.recordedAt) by knownAt (default now) whose business time is at or before ' +
      "`at` with the projector's own profile code, then applies the lifecycle, tier and segment transitions due by " +
      '`at` that no review had appended. The profile is the one GET /v1/profiles/{id} shows for the role (RFM ' +
      'scores are null: they rank against the population, which this does not rebuild).',
  })
  @ApiResponse({
    status: 200,
    description:
      '{ customerId, at, knownAt, eventsApplied, eventsRecordedLater, eventsOccurredLater, dueTransitions, stage, ' +
      'tier, segments, profile }',
  })
  @ApiResponse({ status: 404, description: 'No events of the customer by then' })
  asOf(
    @Param('id') id: string,
    @Query() query: AsOfQueryDto,
    @Req() request: AuthenticatedRequest,
  ) {
    const customerId = customerIdParam(id);
    const now = new Date();
    return this.queries.execute(
      new GetAsOfQuery(
        customerId,
        queryInstant(query.at, 'at', now),
        queryInstant(query.knownAt, 'knownAt', now),
        request.principal!.role,
      ),
    );
  }

  @Post(':id/erase')
  @Roles('admin')
  @ApiTags('admin')
  @ApiOperation({
    summary: "Erase a customer's personal data for good (crypto-shredding)",
    description:
      "Destroys the customer's data key, appends CustomerErased and waits until every running API process has " +
      'dropped its cached copy of the key, then answers with an erasure certificate. Idempotent: erasing again ' +
      'answers 200 with the first certificate.',
  })
  @ApiHeader({ name: 'X-Correlation-Id', required: false })
  @ApiResponse({ status: 201, description: '{ certificate }: the erasure was done now' })
  @ApiResponse({ status: 200, description: '{ certificate }: the customer was erased already' })
  @ApiResponse({ status: 404, description: 'No such customer' })
  @ApiResponse({
    status: 503,
    description:
      'ERASURE_UNCONFIRMED: the key is destroyed but a live process did not confirm dropping it; erase again',
  })
  async erase(
    @Param('id') id: string,
    @Body() body: EraseCustomerDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
  ) {
    const customerId = customerIdParam(id);
    const { created, certificate } = await this.commands.execute(
      new EraseCustomerCommand(customerId, body.reason, commandContext(request, 'erasure')),
    );
    response.status(created ? 201 : 200);
    return { certificate };
  }
}
