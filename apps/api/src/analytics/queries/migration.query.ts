import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AppConfig, Role } from '@app/config';
import type { CustomerKeyStore } from '@app/event-store';
import { ACCOUNT_SEGMENTS, LIFECYCLE_STAGES, VALUE_QUADRANTS } from '@app/domain';
import {
  type Dimension,
  findProfiles,
  migrationCell,
  migrationMatrix,
  type MigrationMatrix,
  type MongoConnection,
  TimelineCache,
} from '@app/read-models';
import { APP_CONFIG, CUSTOMER_KEYS, MONGO } from '../../infrastructure/tokens';
import { type ProfileView, profileViews } from '../../profiles/queries/get-profile.query';
import { RfmBoundariesService } from '../rfm-boundaries.service';

export class MigrationQuery extends Query<MigrationMatrix> {
  constructor(
    readonly dimension: Dimension,
    readonly from: Date,
    readonly to: Date,
    readonly region?: string,
  ) {
    super();
  }
}

/** The levels of a dimension in their natural order (tiers as the rules file lists them). */
export function levelsOf(dimension: Dimension, config: AppConfig): readonly string[] {
  switch (dimension) {
    case 'tier':
      return config.rules.tiers.levels.map((level) => level.name);
    case 'stage':
      return LIFECYCLE_STAGES;
    case 'quadrant':
      return VALUE_QUADRANTS;
    case 'account':
      return ACCOUNT_SEGMENTS;
  }
}

@QueryHandler(MigrationQuery)
export class MigrationHandler implements IQueryHandler<MigrationQuery> {
  constructor(
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly timelines: TimelineCache,
  ) {}

  execute({ dimension, from, to, region }: MigrationQuery): Promise<MigrationMatrix> {
    const levels = levelsOf(dimension, this.config);
    return migrationMatrix(this.mongo.db, { dimension, from, to, levels, region }, this.timelines);
  }
}

export interface MigrationCustomers {
  dimension: Dimension;
  from: string;
  to: string;
  fromLevel: string;
  toLevel: string;
  /** How many customers the cell holds (the matrix's count for it). */
  total: number;
  /** Profiles as GET /v1/profiles shows them (masked for analysts); a customer without one yet has only its id. */
  items: Array<ProfileView | { customerId: string }>;
  next: string | null;
}

export class MigrationCustomersQuery extends Query<MigrationCustomers> {
  constructor(
    readonly dimension: Dimension,
    readonly from: Date,
    readonly to: Date,
    readonly fromLevel: string,
    readonly toLevel: string,
    readonly limit: number,
    readonly after: string | undefined,
    readonly role: Role,
    readonly region?: string,
  ) {
    super();
  }
}

@QueryHandler(MigrationCustomersQuery)
export class MigrationCustomersHandler implements IQueryHandler<MigrationCustomersQuery> {
  constructor(
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(CUSTOMER_KEYS) private readonly keys: CustomerKeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rfm: RfmBoundariesService,
    private readonly timelines: TimelineCache,
  ) {}

  async execute(query: MigrationCustomersQuery): Promise<MigrationCustomers> {
    const { dimension, from, to, fromLevel, toLevel, role } = query;
    const cell = await migrationCell(this.mongo.db, query, this.timelines);
    const docs = await findProfiles(this.mongo.db, cell.customerIds);
    const views = new Map(
      (await profileViews(docs, role, { keys: this.keys, rfm: this.rfm, config: this.config })).map(
        (view) => [view.customerId, view],
      ),
    );
    const items = cell.customerIds.map((customerId) => views.get(customerId) ?? { customerId });
    return {
      dimension,
      from: from.toISOString(),
      to: to.toISOString(),
      fromLevel,
      toLevel,
      total: cell.total,
      items,
      next: cell.next,
    };
  }
}
