import { Logger } from '@nestjs/common';
import {
  type AllStreamSubscription,
  type EventStoreDBClient,
  followStreams,
} from '@app/event-store';
import { CUSTOMER_STREAM_PREFIX } from '@app/domain';
import { type MongoCheckpointStore, POSITION_TRACKER, type StoredPosition } from '@app/read-models';

const TRACKER_NAME = POSITION_TRACKER;

/**
 * Follows the customer streams in `$all` from its checkpoint and records how far it has got. It is the
 * skeleton every read model will share: the checkpoint moves only after what precedes it is durable.
 */
export class PositionTracker {
  private readonly logger = new Logger('Projector');
  private subscription: AllStreamSubscription | undefined;
  private position: StoredPosition | undefined;
  private saved: StoredPosition | undefined;
  private eventsSeen = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly checkpoints: MongoCheckpointStore,
    private readonly flushEveryMs = 1000,
  ) {}

  async start(): Promise<void> {
    const checkpoint = await this.checkpoints.load(TRACKER_NAME);
    this.eventsSeen = checkpoint?.eventsSeen ?? 0;
    this.position = checkpoint ?? undefined;
    this.saved = checkpoint ?? undefined;
    this.logger.log(
      checkpoint
        ? `resuming after commit position ${checkpoint.commit} (${this.eventsSeen} events seen so far)`
        : 'starting from the beginning of $all',
    );
    this.follow();
    this.timer = setInterval(() => {
      this.flushing = this.flushing.then(() => this.flush());
    }, this.flushEveryMs);
  }

  /** Subscribes after the last position seen; a dropped subscription is resumed from there. */
  private follow(retryInMs = 500): void {
    if (this.stopped) return;
    const subscription = followStreams(this.client, CUSTOMER_STREAM_PREFIX, this.position);
    this.subscription = subscription;
    subscription.on('data', (resolved) => {
      const position = resolved.event?.position;
      if (!position) return;
      this.position = position;
      this.eventsSeen += 1;
    });
    subscription.on('error', (error: Error) => {
      if (this.stopped) return;
      this.logger.error(`subscription dropped (${error.message}); resuming in ${retryInMs} ms`);
      void subscription.unsubscribe().catch(() => undefined);
      setTimeout(() => this.follow(Math.min(retryInMs * 2, 10_000)), retryInMs).unref();
    });
  }

  private async flush(): Promise<void> {
    const position = this.position;
    if (!position || (this.saved && this.saved.commit === position.commit)) return;
    try {
      await this.checkpoints.save(TRACKER_NAME, position, this.eventsSeen);
      this.saved = position;
      this.logger.log(`at commit position ${position.commit} (${this.eventsSeen} events)`);
    } catch (error) {
      this.logger.error(`could not store the checkpoint: ${(error as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.unsubscribe();
    await this.flushing;
    await this.flush();
  }
}
