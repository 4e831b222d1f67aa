import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { RegisterCustomer } from '@app/domain';
import type { CommandContext } from '@app/event-store';
import type { CustomerStore } from '../../infrastructure/customer-store';
import { CUSTOMER_STORE } from '../../infrastructure/tokens';
import type { RegisterCustomerDto } from '../dto/register-customer.dto';

export interface CustomerReceipt {
  customerId: string;
  revision: number;
  position: number | null;
}

export class RegisterCustomerCommand extends Command<CustomerReceipt> {
  constructor(
    readonly customer: RegisterCustomerDto,
    readonly context: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(RegisterCustomerCommand)
export class RegisterCustomerHandler implements ICommandHandler<RegisterCustomerCommand> {
  constructor(@Inject(CUSTOMER_STORE) private readonly store: CustomerStore) {}

  async execute({ customer, context }: RegisterCustomerCommand): Promise<CustomerReceipt> {
    const now = new Date().toISOString();
    const { source: _source, ...fields } = customer;
    const command: RegisterCustomer = { ...fields, type: 'RegisterCustomer', now };
    const result = await this.store.execute(customer.customerId, { command, context, now });
    return {
      customerId: customer.customerId,
      revision: result.revision,
      position: result.position ?? null,
    };
  }
}
