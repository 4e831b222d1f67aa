import { type BeforeApplicationShutdown, Module } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { AsOfSnapshotStore, type KeyErasureWatch, type MongoConnection } from '@app/read-models';
import { APP_CONFIG, KEY_ERASURE_WATCH, MONGO } from '../infrastructure/tokens';
import { AuditController } from './audit.controller';
import { EraseCustomerHandler } from './commands/erase-customer.command';
import { asOfFoldVersion } from './as-of-fold-version';
import { AsOfSnapshots } from './as-of-snapshots';
import { GetAsOfHandler } from './queries/get-as-of.query';
import { GetHistoryHandler, StreamHistoryHandler } from './queries/get-history.query';

/** Auditors' routes (history, as-of) and erasure. */
@Module({
  controllers: [AuditController],
  providers: [
    GetHistoryHandler,
    StreamHistoryHandler,
    GetAsOfHandler,
    EraseCustomerHandler,
    {
      // One per process: the as-of folds of the customers looked at most recently, also kept in MongoDB for the
      // other processes and the next one. An erasure anywhere makes every process drop the customer's.
      provide: AsOfSnapshots,
      inject: [MONGO, APP_CONFIG, KEY_ERASURE_WATCH],
      useFactory: (mongo: MongoConnection, config: AppConfig, watch: KeyErasureWatch) => {
        const snapshots = new AsOfSnapshots({
          persisted: {
            store: new AsOfSnapshotStore(mongo.db),
            foldVersion: asOfFoldVersion(config.rules),
          },
        });
        watch.onErased((customerIds) => snapshots.forgetLater(customerIds));
        return snapshots;
      },
    },
  ],
})
export class AuditModule implements BeforeApplicationShutdown {
  constructor(private readonly snapshots: AsOfSnapshots) {}

  /** Snapshots still queued are written before the connection closes (a new process then starts from them). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.snapshots.flush();
  }
}
