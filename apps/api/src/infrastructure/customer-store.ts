import {
  customerDecider,
  type CustomerCommand,
  type CustomerEvent,
  type CustomerEventType,
  type CustomerState,
  customerStreamId,
  eventOccurredAt,
  PERSONAL_FIELDS,
  SCHEMA_VERSION,
  upcast,
} from '@app/domain';
import { type CustomerKeyStore, DeciderStore, type EventStoreDBClient } from '@app/event-store';

export type CustomerStore = DeciderStore<CustomerCommand, CustomerEvent, CustomerState>;

export function createCustomerStore(
  client: EventStoreDBClient,
  keys: CustomerKeyStore,
): CustomerStore {
  return new DeciderStore<CustomerCommand, CustomerEvent, CustomerState>(
    client,
    {
      ...customerDecider,
      streamId: customerStreamId,
      personalFields: PERSONAL_FIELDS,
      schemaVersion: (type) => SCHEMA_VERSION[type as CustomerEventType] ?? 1,
      upcast,
      occurredAt: (event) => eventOccurredAt(event),
    },
    keys,
  );
}
