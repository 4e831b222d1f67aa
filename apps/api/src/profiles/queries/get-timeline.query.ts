import { Inject, NotFoundException } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import {
  customerTimeline,
  type Dimension,
  findProfile,
  type MongoConnection,
  OPEN_END,
} from '@app/read-models';
import { MONGO } from '../../infrastructure/tokens';

export interface TimelineInterval {
  dimension: Dimension;
  level: string;
  from: string;
  /** null while the level is still held. */
  to: string | null;
  reason: string;
  ruleVersion: string | null;
}

export class GetTimelineQuery extends Query<{ customerId: string; intervals: TimelineInterval[] }> {
  constructor(readonly customerId: string) {
    super();
  }
}

@QueryHandler(GetTimelineQuery)
export class GetTimelineHandler implements IQueryHandler<GetTimelineQuery> {
  constructor(@Inject(MONGO) private readonly mongo: MongoConnection) {}

  async execute({ customerId }: GetTimelineQuery) {
    const [profile, intervals] = await Promise.all([
      findProfile(this.mongo.db, customerId),
      customerTimeline(this.mongo.db, customerId),
    ]);
    if (!profile) throw new NotFoundException(`No profile for customer ${customerId}`);
    return {
      customerId,
      intervals: intervals.map((doc) => ({
        dimension: doc.dimension,
        level: doc.level,
        from: doc.from.toISOString(),
        to: doc.to.getTime() >= OPEN_END.getTime() ? null : doc.to.toISOString(),
        reason: doc.reason,
        ruleVersion: doc.ruleVersion,
      })),
    };
  }
}
