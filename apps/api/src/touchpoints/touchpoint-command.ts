import { type CustomerEvent, type RecordTouchpoint, touchpointEventId } from '@app/domain';
import type { DecisionRequest, CommandContext } from '@app/event-store';
import type { TouchpointDto } from './dto/touchpoint.dto';

export type TouchpointRequest = DecisionRequest<RecordTouchpoint, CustomerEvent> & {
  /** The id the touchpoint's event has, whether it is stored now or was before. */
  touchpointEventId: string;
};

/** The domain command for a validated touchpoint, with the ids that make a retry produce the same events. */
export function touchpointRequest(
  dto: TouchpointDto,
  context: CommandContext,
  now: string,
): TouchpointRequest {
  // The validated DTO holds only plain values: a shallow copy is the command's payload.
  const command = { ...dto, type: 'RecordTouchpoint', now } as RecordTouchpoint;
  const touchpointEvent = touchpointEventId(dto.source, dto.touchpointId);
  return {
    touchpointEventId: touchpointEvent,
    command,
    context: { ...context, source: dto.source },
    now,
    // The implicit registration of a prospect gets a fresh id on purpose: a retry of a customer's first
    // touchpoint then never matches the stored events as an idempotent "no stream" append, so it is refused,
    // the stream is read, and the retry is answered as the duplicate it is.
    eventId: (event) => (event.type === 'CustomerRegistered' ? undefined : touchpointEvent),
  };
}

export interface TouchpointReceipt {
  eventId: string;
  customerId: string;
  revision: number;
  position: number | null;
  duplicate: boolean;
}
