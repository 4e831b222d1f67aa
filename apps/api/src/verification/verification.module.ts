import { Module } from '@nestjs/common';
import { CustomerVerificationController } from './customer-verification.controller';
import { VerifyCustomerHandler } from './queries/verify-customer.query';

/** Auditors' proof for one customer: hash chain and read models against the events. */
@Module({
  controllers: [CustomerVerificationController],
  providers: [VerifyCustomerHandler],
})
export class VerificationModule {}
