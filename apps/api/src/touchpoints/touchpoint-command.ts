import {
  type CustomerEvent,
  isTouchpointEvent,
  type RecordTouchpoint,
  touchpointEventId,
} from '@app/domain';
import type {
  CommandContext,
  DecidedEvent,
  DecisionRequest,
  EventLocation,
} from '@app/event-store';
import { TouchpointIdReusedError, type TouchpointIdStore } from '@app/read-models';
import type { CustomerStore } from '../infrastructure/customer-store';
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
    // Only the touchpoint's own event gets the deterministic id. The implicit registration of a prospect gets a
    // fresh id on purpose: a retry of a customer's first touchpoint then never matches the stored events as an
    // idempotent "no stream" append, so it is refused, the stream is read, and the retry is answered as the
    // duplicate it is. The policy transitions decided with a touchpoint (tier, stage, segments) get fresh ids too:
    // they are not the touchpoint, and one id may appear only once in an append.
    eventId: (event) => (isTouchpointEvent(event) ? touchpointEvent : undefined),
  };
}

export interface TouchpointReceipt {
  eventId: string;
  customerId: string;
  revision: number;
  position: number | null;
  duplicate: boolean;
}

/** The touchpoint's own event among those a decision stored; none means it had been stored before. */
export function storedTouchpoint(
  events: readonly DecidedEvent<CustomerEvent>[],
  request: TouchpointRequest,
): DecidedEvent<CustomerEvent> | undefined {
  return events.find((decided) => decided.eventId === request.touchpointEventId);
}

export interface TouchpointClaims {
  /** Per touchpoint, in the order given: the error when its id belongs to another customer. */
  reused: Array<TouchpointIdReusedError | undefined>;
  /** For the decider store: whether an append of these ids may have been taken as a re-send of another's. */
  mayBeResent: (eventIds: readonly string[]) => Promise<boolean>;
}

/** Claims each touchpoint's id for the customer it names, before anything is appended. */
export async function claimTouchpointIds(
  ids: TouchpointIdStore,
  touchpoints: ReadonlyArray<{ dto: TouchpointDto; request: TouchpointRequest }>,
): Promise<TouchpointClaims> {
  const claims = await ids.claim(
    touchpoints.map(({ dto, request }) => ({
      eventId: request.touchpointEventId,
      customerId: dto.customerId,
    })),
  );
  const first = new Set([...claims].filter(([, claim]) => claim.first).map(([eventId]) => eventId));
  return {
    reused: touchpoints.map(({ dto, request }) => {
      const owner = claims.get(request.touchpointEventId)?.owner;
      return owner === undefined || owner === dto.customerId
        ? undefined
        : new TouchpointIdReusedError(
            dto.source,
            dto.touchpointId,
            request.touchpointEventId,
            owner,
          );
    }),
    // Another process can only have appended a touchpoint whose id it claimed too: a send that claimed the id
    // first, and found no other claim once appended, stored what it appended.
    mayBeResent: async (eventIds) =>
      !eventIds.every((eventId) => first.has(eventId)) || (await ids.contested(eventIds)),
  };
}

/**
 * Where the stored events of touchpoints answered as duplicates are: their revision and the position their first
 * answer gave.
 */
export async function locateDuplicates(
  store: CustomerStore,
  customerId: string,
  duplicates: readonly TouchpointRequest[],
): Promise<Map<string, EventLocation>> {
  if (duplicates.length === 0) return new Map();
  return store.locate(
    customerId,
    duplicates.map((request) => request.touchpointEventId),
  );
}
