import { randomUUID } from 'node:crypto';
import { type CustomerEvent, customerStreamId, eventOccurredAt } from '@app/domain';
import type { ProjectedEvent } from '@app/read-models';

/** Builds the events a projection would receive for one customer's stream, at increasing positions in `$all`. */
export class EventLog {
  private position = 1000;
  private readonly revisions = new Map<string, number>();
  readonly events: ProjectedEvent[] = [];

  append(customerId: string, ...events: CustomerEvent[]): ProjectedEvent[] {
    const appended = events.map((event): ProjectedEvent => {
      const revision = (this.revisions.get(customerId) ?? -1) + 1;
      this.revisions.set(customerId, revision);
      this.position += 137;
      return {
        type: event.type,
        data: event.data,
        metadata: {
          eventId: randomUUID(),
          occurredAt: eventOccurredAt(event),
          recordedAt: '2026-11-26T00:00:00.000Z',
          actor: 'test',
          source: 'test',
          correlationId: randomUUID(),
          causationId: null,
          schemaVersion: 1,
        },
        streamId: customerStreamId(customerId),
        revision,
        position: { commit: BigInt(this.position), prepare: BigInt(this.position) },
      };
    });
    this.events.push(...appended);
    return appended;
  }
}
