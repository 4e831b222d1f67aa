import { instanceToPlain } from 'class-transformer';
import { type CustomerEvent, type RecordTouchpoint, touchpointEventId, uuidV5 } from '@app/domain';
import type { DecisionRequest, CommandContext } from '@app/event-store';
import type { TouchpointDto } from './dto/touchpoint.dto';

/** The domain command for a validated touchpoint, with the ids that make a retry produce the same events. */
export function touchpointRequest(
  dto: TouchpointDto,
  context: CommandContext,
  now: string,
): DecisionRequest<RecordTouchpoint, CustomerEvent> {
  const command = {
    ...(instanceToPlain(dto) as object),
    type: 'RecordTouchpoint',
    now,
  } as RecordTouchpoint;
  const touchpointEvent = touchpointEventId(dto.source, dto.touchpointId);
  return {
    command,
    context: { ...context, source: dto.source },
    now,
    // The implicit registration of a prospect gets an id derived from the touchpoint's, so that a retry
    // racing the first attempt from another process collides on ids too.
    eventId: (event) =>
      event.type === 'CustomerRegistered'
        ? uuidV5('CustomerRegistered', touchpointEvent)
        : touchpointEvent,
  };
}

export interface TouchpointReceipt {
  eventId: string;
  customerId: string;
  revision: number;
  position: number | null;
  duplicate: boolean;
}
