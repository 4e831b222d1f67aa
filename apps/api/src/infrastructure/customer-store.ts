import {
  carriesPersonalData,
  createCustomerDecider,
  type CustomerCommand,
  type CustomerEvent,
  type CustomerEventType,
  type CustomerState,
  customerStreamId,
  eventOccurredAt,
  PERSONAL_FIELDS,
  SCHEMA_VERSION,
  type PolicyRules,
  upcast,
} from '@app/domain';
import {
  type CustomerKeyStore,
  DeciderStore,
  type DeciderStoreOptions,
  type EventStoreDBClient,
} from '@app/event-store';

export type CustomerStore = DeciderStore<CustomerCommand, CustomerEvent, CustomerState>;

/** The customer streams, decided with the configured lifecycle, tier and segment rules. */
export function createCustomerStore(
  client: EventStoreDBClient,
  keys: CustomerKeyStore,
  rules: PolicyRules,
  options: DeciderStoreOptions = {},
): CustomerStore {
  return new DeciderStore<CustomerCommand, CustomerEvent, CustomerState>(
    client,
    {
      ...createCustomerDecider(rules),
      streamId: customerStreamId,
      personalFields: PERSONAL_FIELDS,
      carriesPersonalData,
      schemaVersion: (type) => SCHEMA_VERSION[type as CustomerEventType] ?? 1,
      upcast,
      occurredAt: (event) => eventOccurredAt(event),
    },
    keys,
    options,
  );
}
