import {
  type DynamicModule,
  Global,
  Inject,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { AppConfig } from '@app/config';
import {
  connectEventStore,
  type CustomerKeyStore,
  type EventStoreDBClient,
} from '@app/event-store';
import { connectMongo, MongoCustomerKeyStore, type MongoConnection } from '@app/read-models';
import { createCustomerStore } from './customer-store';
import { APP_CONFIG, CUSTOMER_KEYS, CUSTOMER_STORE, EVENT_STORE, MONGO } from './tokens';

/** Connections to the two stores, made once per process and closed on shutdown. */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStoreDBClient,
    @Inject(MONGO) private readonly mongo: MongoConnection,
  ) {}

  static forRoot(config: AppConfig): DynamicModule {
    const { eventStoreUrl, mongoUrl } = config;
    if (!eventStoreUrl || !mongoUrl) {
      throw new Error(
        'EVENTSTORE_URL and MONGODB_URL must be set for the API (npm start sets them for the embedded servers)',
      );
    }
    return {
      module: InfrastructureModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: EVENT_STORE, useFactory: () => connectEventStore(eventStoreUrl) },
        { provide: MONGO, useFactory: () => connectMongo(mongoUrl, config.mongoDb) },
        {
          provide: CUSTOMER_KEYS,
          inject: [MONGO],
          useFactory: (mongo: MongoConnection) => new MongoCustomerKeyStore(mongo.db),
        },
        {
          provide: CUSTOMER_STORE,
          inject: [EVENT_STORE, CUSTOMER_KEYS],
          useFactory: (client: EventStoreDBClient, keys: CustomerKeyStore) =>
            createCustomerStore(client, keys, config.rules),
        },
      ],
      exports: [APP_CONFIG, EVENT_STORE, MONGO, CUSTOMER_KEYS, CUSTOMER_STORE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    // dispose() waits for every open call to report its end; shutdown must not hang on one that never does.
    await Promise.allSettled([withDeadline(this.eventStore.dispose(), 2000), this.mongo.close()]);
  }
}

async function withDeadline(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
