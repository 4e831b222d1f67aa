import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { touchpointCarriesPersonalData } from '@app/domain';
import type { CommandContext } from '@app/event-store';
import type { CustomerStore } from '../../infrastructure/customer-store';
import type { TouchpointIdStore } from '@app/read-models';
import { CUSTOMER_STORE, TOUCHPOINT_IDS } from '../../infrastructure/tokens';
import type { TouchpointDto } from '../dto/touchpoint.dto';
import {
  claimTouchpointIds,
  locateDuplicates,
  storedTouchpoint,
  type TouchpointReceipt,
  touchpointRequest,
} from '../touchpoint-command';

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
  constructor(
    @Inject(CUSTOMER_STORE) private readonly store: CustomerStore,
    @Inject(TOUCHPOINT_IDS) private readonly ids: TouchpointIdStore,
  ) {}

  async execute({ touchpoint, context }: RecordTouchpointCommand): Promise<TouchpointReceipt> {
    const { customerId } = touchpoint;
    const request = touchpointRequest(touchpoint, context, new Date().toISOString());
    const eventId = request.touchpointEventId;
    // The id claimed and, for personal data, the stream made ready (its key, a first read) at the same time.
    const [claims] = await Promise.all([
      claimTouchpointIds(this.ids, [{ dto: touchpoint, request }]),
      touchpointCarriesPersonalData(touchpoint) ? this.store.prepare([customerId]) : undefined,
    ]);
    if (claims.reused[0]) throw claims.reused[0];
    const result = await this.store.execute(customerId, request, {
      mayBeResent: claims.mayBeResent,
    });
    const stored = storedTouchpoint(result.events, request);
    if (stored) {
      const position = result.position ?? null;
      return { eventId, customerId, revision: stored.revision, position, duplicate: false };
    }
    const original = (await locateDuplicates(this.store, customerId, [request])).get(eventId);
    return {
      eventId,
      customerId,
      revision: original?.revision ?? result.revision,
      position: original?.position ?? null,
      duplicate: true,
    };
  }
}
