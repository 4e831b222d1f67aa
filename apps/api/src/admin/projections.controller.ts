import {
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RebuildRunningError, UnknownProjectionError } from '@app/read-models';
import { Roles } from '../http/auth.guard';
import { WaitsForReadModels } from '../http/min-position';
import { RebuildProjectionCommand } from './commands/rebuild-projection.command';
import { GetProjectionsQuery } from './queries/get-projections.query';

@ApiTags('admin')
@Roles('admin')
@Controller('v1/admin/projections')
export class ProjectionsController {
  constructor(
    private readonly queries: QueryBus,
    private readonly commands: CommandBus,
  ) {}

  @Get()
  @WaitsForReadModels()
  @ApiOperation({
    summary: "Each read model's checkpoint, lag, state, lease and dead letters",
    description:
      'Lag is measured against the newest customer event: in log positions, and in events (counted up to 1000). ' +
      'The lease names the projector process writing the read model; dead letters are events it parked. ' +
      'A rebuild in progress is listed as `<name>__v<N>` with `rebuild` set; `readModels` says which version ' +
      'of each rebuilt read model is live and which old copies are kept.',
  })
  @ApiResponse({ status: 200, description: '{ head, projections: [...], readModels: [...] }' })
  list() {
    return this.queries.execute(new GetProjectionsQuery());
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Rebuild a read model beside the live one and switch over when caught up',
    description:
      'Builds `<collection>__v<N>` from position zero with the projection code the projector runs, catches up ' +
      'with the live read model, then renames it over the live collections (the old ones are kept as ' +
      '`<collection>__v<N-1>` until `npm run projections -- drop-old <name>`). Answers at once with a handle; ' +
      'progress is in GET /v1/admin/projections.',
  })
  @ApiResponse({ status: 202, description: '{ projection, version, checkpoint, status }' })
  @ApiResponse({ status: 404, description: 'No such read model (the valid names are listed)' })
  @ApiResponse({ status: 409, description: 'A rebuild of this read model is running' })
  async rebuild(@Param('name') name: string) {
    try {
      return await this.commands.execute(new RebuildProjectionCommand(name));
    } catch (error) {
      if (error instanceof UnknownProjectionError) throw new NotFoundException(error.message);
      if (error instanceof RebuildRunningError) throw new ConflictException(error.message);
      throw error;
    }
  }
}
