import { Module } from '@nestjs/common';
import { RunReviewHandler } from './commands/run-review.command';
import { ReviewScheduler } from './review.scheduler';
import { ReviewsController } from './reviews.controller';

@Module({
  controllers: [ReviewsController],
  providers: [RunReviewHandler, ReviewScheduler],
})
export class ReviewsModule {}
