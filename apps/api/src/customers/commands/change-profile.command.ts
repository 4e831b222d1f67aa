import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { ChangeProfile } from '@app/domain';
import type { CommandContext } from '@app/event-store';
import type { CustomerStore } from '../../infrastructure/customer-store';
import { CUSTOMER_STORE } from '../../infrastructure/tokens';
import type { ChangeProfileDto } from '../dto/change-profile.dto';
import type { CustomerReceipt } from './register-customer.command';

export class ChangeProfileCommand extends Command<CustomerReceipt & { changed: string[] }> {
  constructor(
    readonly customerId: string,
    readonly changes: ChangeProfileDto,
    readonly expectedRevision: number | undefined,
    readonly context: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(ChangeProfileCommand)
export class ChangeProfileHandler implements ICommandHandler<ChangeProfileCommand> {
  constructor(@Inject(CUSTOMER_STORE) private readonly store: CustomerStore) {}

  async execute({ customerId, changes, expectedRevision, context }: ChangeProfileCommand) {
    const now = new Date().toISOString();
    const command: ChangeProfile = { ...changes, type: 'ChangeProfile', customerId, now };
    // With If-Match the edit is a decision on what the editor saw: a concurrent change is returned (412), never
    // retried. Without it the editor asked for these values whatever came before, so it is decided again.
    const result = await this.store.execute(
      customerId,
      { command, context, now },
      { expectedRevision, retryConflicts: expectedRevision === undefined },
    );
    const changed = result.events.flatMap(({ event }) =>
      event.type === 'CustomerProfileChanged' ? Object.keys(event.data.changes) : [],
    );
    return { customerId, revision: result.revision, position: result.position ?? null, changed };
  }
}
