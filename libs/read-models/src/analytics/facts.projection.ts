import {
  isTouchpointEvent,
  TOUCHPOINT_KIND_BY_EVENT_TYPE,
  type TouchpointEvent,
} from '@app/domain';
import type { Db } from 'mongodb';
import { asCustomerEvent, customerIdOf, instant, isoWeek } from '../projection/customer-event';
import { documentFolds, type DocumentFolder } from '../projection/document-fold';
import type { Projection, ProjectedEvent } from '../projection/projection';
import {
  type ComplaintFact,
  COMPLAINTS_COLLECTION,
  type InteractionFact,
  INTERACTIONS_COLLECTION,
} from './facts.document';

/** Interaction and complaint facts for the analytics of DESIGN 3.5. */
export function factsProjection(): Projection {
  return {
    name: 'interactions',
    collections: [INTERACTIONS_COLLECTION, COMPLAINTS_COLLECTION],
    async setup(db: Db) {
      await db
        .collection(INTERACTIONS_COLLECTION)
        .createIndexes([
          { key: { occurredAt: 1 } },
          { key: { week: 1, department: 1, customerId: 1 } },
        ]);
      await db.collection(COMPLAINTS_COLLECTION).createIndexes([{ key: { openedAt: 1 } }]);
    },
    ...documentFolds([
      [INTERACTIONS_COLLECTION, interactionFolder],
      [COMPLAINTS_COLLECTION, complaintFolder],
    ]),
  };
}

function touchpointOf(
  projected: ProjectedEvent,
): { customerId: string; event: TouchpointEvent } | null {
  const customerId = customerIdOf(projected);
  const event = asCustomerEvent(projected);
  if (customerId === null || !event || !isTouchpointEvent(event)) return null;
  return { customerId, event };
}

export const interactionFolder: DocumentFolder<InteractionFact> = {
  keys: (projected) => (touchpointOf(projected) ? [projected.metadata.eventId] : []),
  apply: (current, projected, key) => {
    const found = touchpointOf(projected);
    if (current || !found) return current;
    const { customerId, event } = found;
    const { data } = event;
    const occurredAt = instant(data.occurredAt);
    let amount: number | null = null;
    if (event.type === 'PurchaseRecorded') amount = event.data.amount;
    if (event.type === 'RefundRecorded') amount = -event.data.amount;
    return {
      _id: key,
      position: -1,
      customerId,
      kind: TOUCHPOINT_KIND_BY_EVENT_TYPE[event.type],
      channel: data.channel,
      direction: data.direction,
      department: data.department ?? null,
      agentId: data.agentId ?? null,
      product: data.product ?? null,
      region: data.region ?? null,
      occurredAt,
      week: isoWeek(occurredAt),
      amount,
    };
  },
};

export const complaintFolder: DocumentFolder<ComplaintFact> = {
  keys: (projected) => {
    const found = touchpointOf(projected);
    if (!found || !('complaintId' in found.event.data)) return [];
    return [`${found.customerId}|${found.event.data.complaintId}`];
  },
  apply: (current, projected) => {
    const found = touchpointOf(projected);
    if (!found) return current;
    const { customerId, event } = found;
    const at = instant(event.data.occurredAt);
    switch (event.type) {
      case 'ComplaintOpened': {
        if (current) return current;
        const { data } = event;
        return {
          _id: `${customerId}|${data.complaintId}`,
          position: -1,
          customerId,
          complaintId: data.complaintId,
          category: data.category,
          severity: data.severity,
          channel: data.channel,
          department: data.department ?? null,
          agentId: data.agentId ?? null,
          product: data.product ?? null,
          region: data.region ?? null,
          openedAt: at,
          week: isoWeek(at),
          status: 'open',
          escalations: 0,
          reopenings: 0,
          resolutions: 0,
          resolvedAt: null,
          hoursToResolve: null,
          satisfied: null,
        };
      }
      case 'ComplaintEscalated':
        return current && { ...current, status: 'escalated', escalations: current.escalations + 1 };
      case 'ComplaintReopened':
        return (
          current && {
            ...current,
            status: 'open',
            reopenings: current.reopenings + 1,
            resolvedAt: null,
          }
        );
      case 'ComplaintResolved': {
        if (!current) return current;
        const hours =
          Math.round(((at.getTime() - current.openedAt.getTime()) / 3_600_000) * 1000) / 1000;
        return {
          ...current,
          status: 'resolved',
          resolutions: current.resolutions + 1,
          resolvedAt: at,
          hoursToResolve: current.hoursToResolve ?? hours,
          satisfied: event.data.satisfied ?? current.satisfied,
          // The agent who resolved it answers for it unless the opening named one.
          agentId: current.agentId ?? event.data.agentId ?? null,
        };
      }
      default:
        return current;
    }
  },
};
