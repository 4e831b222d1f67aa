import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AppConfig } from '@app/config';
import { ACCOUNT_SEGMENTS, VALUE_QUADRANTS } from '@app/domain';
import {
  type MongoConnection,
  rfmReport,
  satisfactionReport,
  segmentReport,
} from '@app/read-models';
import { APP_CONFIG, MONGO } from '../../infrastructure/tokens';
import { RFM_WINDOW_DAYS } from '../rfm-boundaries.service';

type Report<T extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<T>>;

/** The value window of the rules file (trailing spend or margin), 365 days unless it says otherwise. */
function valueWindowDays(config: AppConfig): number {
  const rules = config.rules as { valueMatrix?: { windowDays?: number } };
  return rules.valueMatrix?.windowDays ?? 365;
}

/** Value matrix or key-account matrix: count, value and share per segment as customers stand now. */
export class SegmentReportQuery extends Query<Report<typeof segmentReport>> {
  constructor(
    readonly dimension: 'quadrant' | 'account',
    readonly at: Date,
    readonly sample: number,
    readonly region?: string,
  ) {
    super();
  }
}

@QueryHandler(SegmentReportQuery)
export class SegmentReportHandler implements IQueryHandler<SegmentReportQuery> {
  constructor(
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute({ dimension, at, sample, region }: SegmentReportQuery) {
    const levels = dimension === 'quadrant' ? VALUE_QUADRANTS : ACCOUNT_SEGMENTS;
    const days = valueWindowDays(this.config);
    return segmentReport(this.mongo.db, dimension, levels, at, days, sample, region);
  }
}

export class RfmQuery extends Query<Report<typeof rfmReport>> {
  constructor(
    readonly at: Date,
    readonly region?: string,
  ) {
    super();
  }
}

@QueryHandler(RfmQuery)
export class RfmHandler implements IQueryHandler<RfmQuery> {
  constructor(@Inject(MONGO) private readonly mongo: MongoConnection) {}

  execute({ at, region }: RfmQuery) {
    return rfmReport(this.mongo.db, at, RFM_WINDOW_DAYS, region);
  }
}

export class SatisfactionQuery extends Query<Report<typeof satisfactionReport>> {
  constructor(
    readonly at: Date,
    readonly sample: number,
    readonly region?: string,
  ) {
    super();
  }
}

@QueryHandler(SatisfactionQuery)
export class SatisfactionHandler implements IQueryHandler<SatisfactionQuery> {
  constructor(
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  execute({ at, sample, region }: SatisfactionQuery) {
    return satisfactionReport(this.mongo.db, at, valueWindowDays(this.config), sample, region);
  }
}
