import { Controller, Get, Param } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../http/auth.guard';
import { customerIdParam } from '../http/common-validators';
import { VerifyCustomerQuery } from './queries/verify-customer.query';

@ApiTags('audit')
@Roles('auditor')
@Controller('v1/customers')
export class CustomerVerificationController {
  constructor(private readonly queries: QueryBus) {}

  @Get(':id/verify')
  @ApiOperation({
    summary: "Prove one customer's read models and hash chain",
    description:
      'Checks the hash chain of the customer stream from its first event (events written before chaining are ' +
      "counted as unchained), and folds the stream with the projector's projection code to compare with the live " +
      'profile, stage/tier intervals and interaction and complaint facts. `ok` is false on the first break or ' +
      'difference, which are reported with the field path and both values.',
  })
  @ApiResponse({
    status: 200,
    description: '{ customerId, ok, events, position, chain, readModels }',
  })
  @ApiResponse({ status: 404, description: 'The customer has no events' })
  @ApiResponse({ status: 503, description: 'The read models have not caught up with the stream' })
  verify(@Param('id') id: string) {
    return this.queries.execute(new VerifyCustomerQuery(customerIdParam(id)));
  }
}
