import { randomUUID } from 'node:crypto';
import { type AppConfig, loadConfig } from '@app/config';
import {
  type CustomerCommand,
  customerStreamId,
  PERSONAL_FIELDS,
  type TouchpointDetails,
  upcast,
} from '@app/domain';
import {
  type CommandContext,
  connectEventStore,
  type EventStoreDBClient,
  type ReadStreamOptions,
  type StoredEvent,
  StreamReader,
} from '@app/event-store';
import {
  connectMongo,
  customerProjections,
  MongoCustomerKeyStore,
  type MongoConnection,
  checkpointsCollection,
  type ProjectedEvent,
  type ProjectionCheckpointDocument,
  ProjectionCheckpoints,
} from '@app/read-models';
import { testServers, uniqueId } from '@app/testing';
import { createCustomerStore, type CustomerStore } from '../infrastructure/customer-store';

type Touchpoint = {
  occurredAt: string;
  channel?: string;
  direction?: string;
  region?: string;
} & Record<string, unknown> &
  TouchpointDetails;

/**
 * The stores a handler uses, against the servers jest's global setup started (or real ones): the event store,
 * and a MongoDB database of this suite's own, so read-model figures count only the customers the suite wrote.
 * Customers are written through the real decider store and projected with the projector's own projection code.
 */
export class ApiStores {
  readonly context: CommandContext = {
    actor: 'ingest:spec',
    source: 'spec',
    correlationId: randomUUID(),
  };

  private constructor(
    readonly config: AppConfig,
    readonly eventStore: EventStoreDBClient,
    readonly mongo: MongoConnection,
    readonly keys: MongoCustomerKeyStore,
    readonly customers: CustomerStore,
    readonly reader: StreamReader,
  ) {}

  static async open(name: string, env: Record<string, string> = {}): Promise<ApiStores> {
    const { eventStoreUrl, mongoUrl } = testServers();
    const config = loadConfig({ EVENTSTORE_URL: eventStoreUrl, MONGODB_URL: mongoUrl, ...env });
    const eventStore = connectEventStore(eventStoreUrl);
    const mongo = await connectMongo(mongoUrl, uniqueId(name).replace(/-/g, '_'));
    const keys = new MongoCustomerKeyStore(mongo.db);
    const customers = createCustomerStore(eventStore, keys, config.rules);
    const reader = new StreamReader(eventStore, { upcast, personalFields: PERSONAL_FIELDS, keys });
    const stores = new ApiStores(config, eventStore, mongo, keys, customers, reader);
    for (const projection of stores.projections()) await projection.setup(mongo.db);
    return stores;
  }

  async close(): Promise<void> {
    await this.mongo.db.dropDatabase();
    await Promise.all([this.mongo.close(), this.eventStore.dispose()]);
  }

  projections() {
    return customerProjections(this.config.rules);
  }

  /** Decides and appends one command for the customer, as a handler would. */
  execute(customerId: string, command: CustomerCommand, now = new Date().toISOString()) {
    return this.customers.execute(customerId, { command, context: this.context, now });
  }

  register(customerId: string, fields: Record<string, string> = {}, occurredAt?: string) {
    return this.execute(customerId, {
      type: 'RegisterCustomer',
      customerId,
      occurredAt,
      ...fields,
      now: new Date().toISOString(),
    });
  }

  touch(customerId: string, touchpoint: Touchpoint) {
    return this.execute(customerId, {
      type: 'RecordTouchpoint',
      customerId,
      touchpointId: uniqueId('tp'),
      source: 'spec',
      channel: 'store',
      direction: 'inbound',
      ...touchpoint,
      now: new Date().toISOString(),
    } as CustomerCommand);
  }

  /** The customer's stored events, oldest first (opened with the key unless `options` say otherwise). */
  async events(customerId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    for await (const event of this.reader.readStream(customerStreamId(customerId), options)) {
      events.push(event);
    }
    return events;
  }

  /**
   * Applies the customers' events (sealed, as the projector reads them) to every read model of this suite's
   * database, and moves each read model's checkpoint to the last of them.
   */
  async project(...customerIds: string[]): Promise<bigint> {
    const events: ProjectedEvent[] = [];
    for (const customerId of customerIds) {
      for await (const event of this.reader.readStream(customerStreamId(customerId), {
        open: 'sealed',
      })) {
        events.push(event);
      }
    }
    events.sort((a, b) => (a.position.commit < b.position.commit ? -1 : 1));
    const checkpoints = new ProjectionCheckpoints(this.mongo.db, 'spec');
    for (const projection of this.projections()) {
      await projection.apply(this.mongo.db, events);
      if (events.length === 0) continue;
      await this.recordCheckpoint(checkpoints, projection.name, events);
    }
    return events.at(-1)?.position.commit ?? 0n;
  }

  /** A checkpoint document as another process would have left it: stopped, empty, no lease, unless `fields` say. */
  async seedCheckpoint(
    id: string,
    fields: Partial<Omit<ProjectionCheckpointDocument, '_id'>> = {},
  ): Promise<void> {
    await checkpointsCollection(this.mongo.db).insertOne({
      _id: id,
      state: 'stopped',
      eventsProjected: 0,
      batches: 0,
      lastBatch: null,
      updatedAt: new Date(),
      lastError: null,
      lease: null,
      ...fields,
    });
  }

  private async recordCheckpoint(
    checkpoints: ProjectionCheckpoints,
    name: string,
    events: ProjectedEvent[],
  ): Promise<void> {
    await checkpoints.acquire(name, 60_000);
    const through = events.reduce((last, e) =>
      e.position.commit > last.position.commit ? e : last,
    ).position;
    await checkpoints.record(
      name,
      { through, state: 'running', applied: events.length, size: events.length, ms: 1 },
      60_000,
    );
  }
}
