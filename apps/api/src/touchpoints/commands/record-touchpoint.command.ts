import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CommandContext } from '@app/event-store';
import type { CustomerStore } from '../../infrastructure/customer-store';
import { CUSTOMER_STORE } from '../../infrastructure/tokens';
import type { TouchpointDto } from '../dto/touchpoint.dto';
import { storedTouchpoint, type TouchpointReceipt, touchpointRequest } from '../touchpoint-command';

export class RecordTouchpointCommand extends Command<TouchpointReceipt> {
  constructor(
    readonly touchpoint: TouchpointDto,
    readonly context: CommandContext,
  ) {
    super();
  }
}

@CommandHandler(RecordTouchpointCommand)
export class RecordTouchpointHandler implements ICommandHandler<RecordTouchpointCommand> {
  constructor(@Inject(CUSTOMER_STORE) private readonly store: CustomerStore) {}

  async execute({ touchpoint, context }: RecordTouchpointCommand): Promise<TouchpointReceipt> {
    const request = touchpointRequest(touchpoint, context, new Date().toISOString());
    const result = await this.store.execute(touchpoint.customerId, request);
    const stored = storedTouchpoint(result.events, request);
    return {
      eventId: request.touchpointEventId,
      customerId: touchpoint.customerId,
      revision: stored?.revision ?? result.revision,
      position: stored ? (result.position ?? null) : null,
      duplicate: stored === undefined,
    };
  }
}
