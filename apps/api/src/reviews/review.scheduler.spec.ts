import type { CommandBus } from '@nestjs/cqrs';
import { type AppConfig, loadConfig } from '@app/config';
import { RunReviewCommand } from './commands/run-review.command';
import { ReviewScheduler } from './review.scheduler';

describe(ReviewScheduler.name, () => {
  const config = (minutes: string): AppConfig =>
    loadConfig({ CRM_REVIEW_INTERVAL_MINUTES: minutes });
  let executed: RunReviewCommand[];
  let bus: CommandBus;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-05-01T00:00:00Z') });
    executed = [];
    bus = {
      execute: jest.fn((command: RunReviewCommand) => {
        executed.push(command);
        return Promise.resolve();
      }),
    } as unknown as CommandBus;
  });
  afterEach(() => jest.useRealTimers());

  it('reviews a minute after start, then every interval, as of the moment it runs', async () => {
    const sut = new ReviewScheduler(bus, config('60'));
    sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(59_000);
    expect(executed).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(executed.map((c) => c.asOf)).toEqual(['2026-05-01T00:01:00.000Z']);
    await jest.advanceTimersByTimeAsync(60 * 60_000);
    expect(executed.map((c) => c.asOf)).toEqual([
      '2026-05-01T00:01:00.000Z',
      '2026-05-01T01:00:00.000Z',
    ]);
    expect(executed[0]).toBeInstanceOf(RunReviewCommand);
    sut.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(10 * 60 * 60_000);
    expect(executed).toHaveLength(2);
  });

  it('never runs with an interval of 0', async () => {
    const sut = new ReviewScheduler(bus, config('0'));
    sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(48 * 60 * 60_000);
    expect(executed).toHaveLength(0);
  });

  it('does not start a review while the previous one is still running', async () => {
    let finish: () => void = () => undefined;
    bus.execute = jest.fn((command: RunReviewCommand) => {
      executed.push(command);
      return new Promise<void>((resolve) => (finish = resolve));
    }) as never;
    const sut = new ReviewScheduler(bus, config('1'));
    sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(5 * 60_000);
    expect(executed).toHaveLength(1);
    finish();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(executed).toHaveLength(2);
    sut.onApplicationShutdown();
  });
});
