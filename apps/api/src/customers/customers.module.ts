import { Module } from '@nestjs/common';
import { ChangeProfileHandler } from './commands/change-profile.command';
import { RegisterCustomerHandler } from './commands/register-customer.command';
import { CustomersController } from './customers.controller';

@Module({
  controllers: [CustomersController],
  providers: [RegisterCustomerHandler, ChangeProfileHandler],
})
export class CustomersModule {}
