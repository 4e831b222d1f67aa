import { StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { customerStreamId } from '@app/domain';

/** Events the lifecycle, tier and segment policies append beside the facts that caused them. */
export const POLICY_TRANSITIONS: readonly string[] = [
  'TierChanged',
  'LifecycleStageChanged',
  'SegmentChanged',
];

export interface RawEvent {
  id: string;
  type: string;
  revision: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/** The customer's stream exactly as stored (personal fields still sealed); [] when there is none. */
export async function storedEvents(
  client: EventStoreDBClient,
  customerId: string,
): Promise<RawEvent[]> {
  const events: RawEvent[] = [];
  try {
    for await (const { event } of client.readStream(customerStreamId(customerId))) {
      if (!event) continue;
      events.push({
        id: event.id,
        type: event.type,
        revision: Number(event.revision),
        data: event.data as Record<string, unknown>,
        metadata: event.metadata as Record<string, unknown>,
      });
    }
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
  return events;
}
