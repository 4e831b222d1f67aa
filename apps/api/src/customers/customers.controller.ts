import { Body, Controller, Headers, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type AuthenticatedRequest, Roles } from '../http/auth.guard';
import { customerIdParam } from '../http/common-validators';
import { parseIfMatch, revisionTag } from '../http/etag';
import { commandContext } from '../http/request-context';
import { RequestValidationError } from '../http/validation';
import { ChangeProfileCommand } from './commands/change-profile.command';
import { RegisterCustomerCommand } from './commands/register-customer.command';
import { ChangeProfileDto } from './dto/change-profile.dto';
import { RegisterCustomerDto } from './dto/register-customer.dto';

@ApiTags('customers')
@Roles('ingest')
@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiOperation({ summary: 'Register a customer' })
  @ApiResponse({
    status: 201,
    description: '{ customerId, revision, position }; ETag carries the revision',
  })
  @ApiResponse({ status: 409, description: 'The customer exists already' })
  async register(
    @Body() customer: RegisterCustomerDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
  ) {
    const receipt = await this.commands.execute(
      new RegisterCustomerCommand(customer, commandContext(request, customer.source)),
    );
    response.status(201).setHeader('ETag', revisionTag(receipt.revision));
    return receipt;
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change profile fields',
    description:
      'Only the fields sent change. With If-Match, a customer at another revision answers 412.',
  })
  @ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The revision the change is based on',
  })
  @ApiResponse({ status: 200, description: '{ customerId, revision, position, changed }' })
  @ApiResponse({ status: 412, description: 'The customer changed since the given revision' })
  async changeProfile(
    @Param('id') id: string,
    @Body() changes: ChangeProfileDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
  ) {
    const customerId = customerIdParam(id);
    if (Object.values(changes).every((value) => value === undefined)) {
      throw new RequestValidationError([
        { field: '', message: 'send at least one of name, email, phone, region' },
      ]);
    }
    const receipt = await this.commands.execute(
      new ChangeProfileCommand(customerId, changes, parseIfMatch(ifMatch), commandContext(request)),
    );
    response.setHeader('ETag', revisionTag(receipt.revision));
    return receipt;
  }
}
