import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AppConfig } from '@app/config';
import { ACCOUNT_SEGMENTS, LIFECYCLE_STAGES, VALUE_QUADRANTS } from '@app/domain';
import {
  type Dimension,
  migrationMatrix,
  type MigrationMatrix,
  type MongoConnection,
} from '@app/read-models';
import { APP_CONFIG, MONGO } from '../../infrastructure/tokens';

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
  ) {}

  execute({ dimension, from, to, region }: MigrationQuery): Promise<MigrationMatrix> {
    const levels = levelsOf(dimension, this.config);
    return migrationMatrix(this.mongo.db, { dimension, from, to, levels, region });
  }
}
