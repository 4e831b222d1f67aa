import { Inject, Logger, ServiceUnavailableException } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CUSTOMER_STREAM_PREFIX } from '@app/domain';
import {
  type CommandContext,
  type EventStoreDBClient,
  forEachConcurrently,
  headOfStreams,
} from '@app/event-store';
import { customersDueForReview, type MongoConnection, waitForPosition } from '@app/read-models';
import type { CustomerStore } from '../../infrastructure/customer-store';
import { CUSTOMER_STORE, EVENT_STORE, MONGO } from '../../infrastructure/tokens';

export interface ReviewReport {
  asOf: string;
  /** Customers whose review index said a transition could be due. */
  visited: number;
  /** Customers that got at least one transition. */
  changed: number;
  transitions: number;
  byType: Record<string, number>;
  failed: Array<{ customerId: string; error: string }>;
  /** Commit position of the last append, for minPosition on later queries. */
  position: number | null;
}

export class RunReviewCommand extends Command<ReviewReport> {
  constructor(
    readonly asOf: string,
    readonly context: CommandContext,
  ) {
    super();
  }
}

/** How long a review waits for the review index (the profiles read model) to include every customer. */
const CATCH_UP_MS = 30_000;
const CONCURRENCY = 8;

/**
 * Appends every lifecycle, tier and segment transition due by `asOf`. The profiles read model says which customers
 * may have one due; the decider, reading each stream, decides what actually is, so a review is idempotent and how
 * often reviews run never changes the history.
 */
@CommandHandler(RunReviewCommand)
export class RunReviewHandler implements ICommandHandler<RunReviewCommand> {
  private readonly logger = new Logger('Review');

  constructor(
    @Inject(CUSTOMER_STORE) private readonly store: CustomerStore,
    @Inject(EVENT_STORE) private readonly eventStore: EventStoreDBClient,
    @Inject(MONGO) private readonly mongo: MongoConnection,
  ) {}

  async execute({ asOf, context }: RunReviewCommand): Promise<ReviewReport> {
    const head = await headOfStreams(this.eventStore, CUSTOMER_STREAM_PREFIX);
    if (
      head !== undefined &&
      !(await waitForPosition(this.mongo.db, ['profiles'], head, CATCH_UP_MS))
    ) {
      throw new ServiceUnavailableException(
        'The profiles read model has not caught up with the event store; a review now could miss customers',
      );
    }
    const due = await customersDueForReview(this.mongo.db, new Date(asOf));
    const report: ReviewReport = {
      asOf,
      visited: due.length,
      changed: 0,
      transitions: 0,
      byType: {},
      failed: [],
      position: null,
    };
    const now = new Date().toISOString();
    await forEachConcurrently(due, CONCURRENCY, async (customerId) => {
      try {
        const result = await this.store.execute(customerId, {
          command: { type: 'ReviewCustomer', customerId, asOf, now },
          context,
          now,
        });
        if (result.events.length === 0) return;
        report.changed += 1;
        report.transitions += result.events.length;
        for (const { event } of result.events)
          report.byType[event.type] = (report.byType[event.type] ?? 0) + 1;
        if (result.position !== undefined)
          report.position = Math.max(report.position ?? 0, result.position);
      } catch (error) {
        report.failed.push({ customerId, error: (error as Error).message });
      }
    });
    this.logger.log(
      `review as of ${asOf}: ${report.visited} visited, ${report.transitions} transitions for ${report.changed} customers` +
        (report.failed.length > 0 ? `, ${report.failed.length} failed` : ''),
    );
    return report;
  }
}
