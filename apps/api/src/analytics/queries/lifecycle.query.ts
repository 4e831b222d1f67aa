import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AppConfig } from '@app/config';
import { LIFECYCLE_STAGES } from '@app/domain';
import {
  levelCounts,
  listProfiles,
  migrationMatrix,
  type MongoConnection,
  share,
  TimelineCache,
} from '@app/read-models';
import { APP_CONFIG, MONGO } from '../../infrastructure/tokens';

/** Stages of customers the business still has: churn is leaving them for `churned`. */
const RETAINED = ['new', 'active', 'at_risk'];

export interface LifecycleReport {
  at: string;
  rules: AppConfig['rules']['lifecycle'];
  distribution: Record<string, number>;
  period: {
    from: string;
    to: string;
    customers: number;
    churned: number;
    retained: number;
    churnRate: number;
    retentionRate: number;
    flows: Record<string, Record<string, number>>;
  };
  atRisk: { customers: number; sample: string[] };
}

export class LifecycleQuery extends Query<LifecycleReport> {
  constructor(
    readonly at: Date,
    readonly from: Date,
    readonly to: Date,
    readonly sample: number,
    readonly region?: string,
  ) {
    super();
  }
}

@QueryHandler(LifecycleQuery)
export class LifecycleHandler implements IQueryHandler<LifecycleQuery> {
  constructor(
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly timelines: TimelineCache,
  ) {}

  async execute({ at, from, to, sample, region }: LifecycleQuery): Promise<LifecycleReport> {
    const db = this.mongo.db;
    const [counts, flows, atRisk] = await Promise.all([
      levelCounts(db, 'stage', at, region, this.timelines),
      migrationMatrix(
        db,
        { dimension: 'stage', from, to, levels: LIFECYCLE_STAGES, region },
        this.timelines,
      ),
      listProfiles(db, { stage: 'at_risk', region }, sample),
    ]);
    const base = RETAINED.reduce((n, stage) => n + (flows.totals.from[stage] ?? 0), 0);
    const churned = RETAINED.reduce((n, stage) => n + (flows.matrix[stage]?.churned ?? 0), 0);
    const retained = RETAINED.reduce(
      (n, stage) => n + RETAINED.reduce((m, later) => m + (flows.matrix[stage]?.[later] ?? 0), 0),
      0,
    );
    return {
      at: at.toISOString(),
      rules: this.config.rules.lifecycle,
      distribution: Object.fromEntries(
        LIFECYCLE_STAGES.map((stage) => [stage, counts[stage] ?? 0]),
      ),
      period: {
        from: from.toISOString(),
        to: to.toISOString(),
        customers: base,
        churned,
        retained,
        churnRate: share(churned, base),
        retentionRate: share(retained, base),
        flows: flows.matrix,
      },
      atRisk: { customers: counts.at_risk ?? 0, sample: atRisk.items.map((doc) => doc._id) },
    };
  }
}
