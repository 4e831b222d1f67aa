import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { EraseCustomerHandler } from './commands/erase-customer.command';
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
    // One per process: the as-of folds of the customers looked at most recently.
    { provide: AsOfSnapshots, useValue: new AsOfSnapshots() },
  ],
})
export class AuditModule {}
