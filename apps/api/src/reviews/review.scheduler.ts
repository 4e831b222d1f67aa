import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '@app/config';
import { APP_CONFIG } from '../infrastructure/tokens';
import { RunReviewCommand } from './commands/run-review.command';

/** The first review runs this soon after start, so stages are current without waiting a whole interval. */
const FIRST_RUN_MS = 60_000;

/**
 * Runs the review a minute after start and then every CRM_REVIEW_INTERVAL_MINUTES (default daily), as of the moment
 * it runs. Several API replicas may each run it: reviews are idempotent, so the second finds nothing to append.
 */
@Injectable()
export class ReviewScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReviewScheduler');
  private first: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly commands: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const minutes = this.config.reviewIntervalMinutes;
    if (minutes <= 0) return;
    this.first = setTimeout(() => void this.run(), Math.min(FIRST_RUN_MS, minutes * 60_000));
    this.first.unref();
    this.timer = setInterval(() => void this.run(), minutes * 60_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.first) clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const context = { actor: 'scheduler', source: 'review', correlationId: randomUUID() };
      await this.commands.execute(new RunReviewCommand(new Date().toISOString(), context));
    } catch (error) {
      this.logger.error(`scheduled review failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
