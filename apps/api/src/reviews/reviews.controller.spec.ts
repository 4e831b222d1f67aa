import { FakeBus } from '../testing/fake-bus';
import { refusedFields } from '../testing/dto-validation';
import { requestAs, routeAccess } from '../testing/route-access';
import { RunReviewCommand } from './commands/run-review.command';
import { RunReviewDto } from './dto/run-review.dto';
import { ReviewsController } from './reviews.controller';

describe(ReviewsController.name, () => {
  let bus: FakeBus;
  let sut: ReviewsController;

  beforeEach(() => {
    bus = new FakeBus();
    sut = new ReviewsController(bus.asCommandBus());
  });

  it('runs the review as of the moment asked, recorded as a review by the calling admin', async () => {
    const report = { asOf: '2026-03-01T00:00:00Z', visited: 3, changed: 1, transitions: 2 };
    bus.answer = () => report;
    const request = requestAs('admin', { 'x-correlation-id': 'review-42' });
    const answer = await sut.run({ asOf: '2026-03-01T00:00:00Z' }, request);
    expect(answer).toBe(report);
    const command = bus.only(RunReviewCommand);
    expect(command.asOf).toBe('2026-03-01T00:00:00Z');
    expect(command.context).toEqual({
      actor: 'admin:dev-admin',
      source: 'review',
      correlationId: 'review-42',
    });
  });

  it('is for admins only', () => {
    expect(routeAccess(ReviewsController, 'run')).toEqual(['admin']);
  });

  it.each([
    ['no asOf', {}, 'asOf'],
    ['a date without a time', { asOf: '2026-03-01' }, 'asOf'],
    ['a moment in the future', { asOf: '2999-01-01T00:00:00Z' }, 'asOf'],
    ['a field it does not know', { asOf: '2026-03-01T00:00:00Z', dryRun: true }, 'dryRun'],
  ])('refuses a body with %s, naming the field', async (_what, body, field) => {
    expect(await refusedFields(RunReviewDto, body, 'body')).toEqual([field]);
  });

  it('accepts a past moment with a zone', async () => {
    expect(
      await refusedFields(RunReviewDto, { asOf: '2026-03-01T00:00:00+02:00' }, 'body'),
    ).toEqual([]);
  });
});
