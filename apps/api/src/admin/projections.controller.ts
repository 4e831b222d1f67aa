import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../http/auth.guard';
import { WaitsForReadModels } from '../http/min-position';
import { GetProjectionsQuery } from './queries/get-projections.query';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/projections')
export class ProjectionsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @WaitsForReadModels()
  @ApiOperation({
    summary: "Each read model's checkpoint, lag, state, lease and dead letters",
    description:
      'Lag is measured against the newest customer event: in log positions, and in events (counted up to 1000). ' +
      'The lease names the projector process writing the read model; dead letters are events it parked.',
  })
  @ApiResponse({ status: 200, description: '{ head, projections: [...] }' })
  list() {
    return this.queries.execute(new GetProjectionsQuery());
  }
}
