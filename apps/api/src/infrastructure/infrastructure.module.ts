import {
  type DynamicModule,
  Global,
  Inject,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { PERSONAL_FIELDS, upcast } from '@app/domain';
import {
  disposeWithin,
  connectEventStore,
  type CustomerKeyStore,
  type EventStoreDBClient,
  StreamReader,
} from '@app/event-store';
import {
  connectMongo,
  KeyErasureWatch,
  MongoCustomerKeyStore,
  type MongoConnection,
  TouchpointIdStore,
} from '@app/read-models';
import { createCustomerStore, type CustomerStore } from './customer-store';
import {
  APP_CONFIG,
  CUSTOMER_KEYS,
  CUSTOMER_STORE,
  EVENT_STORE,
  KEY_ERASURE_WATCH,
  MONGO,
  STREAM_READER,
  TOUCHPOINT_IDS,
} from './tokens';

/** Connections to the two stores, made once per process and closed on shutdown. */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStoreDBClient,
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(KEY_ERASURE_WATCH) private readonly erasures: KeyErasureWatch,
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
          provide: TOUCHPOINT_IDS,
          inject: [MONGO],
          useFactory: (mongo: MongoConnection) => new TouchpointIdStore(mongo.db),
        },
        {
          provide: CUSTOMER_STORE,
          inject: [EVENT_STORE, CUSTOMER_KEYS],
          useFactory: (client: EventStoreDBClient, keys: CustomerKeyStore) =>
            createCustomerStore(client, keys, config.rules),
        },
        {
          // Every API process takes part in erasures: it drops erased keys (and the stream state it cached for
          // those customers) within a poll, and trusts its key cache only while it keeps polling.
          provide: KEY_ERASURE_WATCH,
          inject: [MONGO, CUSTOMER_KEYS, CUSTOMER_STORE],
          useFactory: async (
            mongo: MongoConnection,
            keys: MongoCustomerKeyStore,
            store: CustomerStore,
          ) => {
            const watch = new KeyErasureWatch(mongo.db, keys, {
              onErased: (ids) => ids.forEach((id) => store.forget(id)),
            });
            await watch.start();
            return watch;
          },
        },
        {
          provide: STREAM_READER,
          inject: [EVENT_STORE, CUSTOMER_KEYS],
          useFactory: (client: EventStoreDBClient, keys: CustomerKeyStore) =>
            new StreamReader(client, { upcast, personalFields: PERSONAL_FIELDS, keys }),
        },
      ],
      exports: [
        APP_CONFIG,
        EVENT_STORE,
        MONGO,
        CUSTOMER_KEYS,
        CUSTOMER_STORE,
        KEY_ERASURE_WATCH,
        STREAM_READER,
        TOUCHPOINT_IDS,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    // dispose() waits for every open call to report its end; shutdown must not hang on one that never does.
    await this.erasures.stop();
    await Promise.allSettled([disposeWithin(this.eventStore), this.mongo.close()]);
  }
}
