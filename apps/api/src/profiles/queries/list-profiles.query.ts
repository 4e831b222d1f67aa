import { Inject } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AppConfig, Role } from '@app/config';
import type { CustomerKeyStore } from '@app/event-store';
import { listProfiles, type MongoConnection, type ProfileFilter } from '@app/read-models';
import { RfmBoundariesService } from '../../analytics/rfm-boundaries.service';
import { APP_CONFIG, CUSTOMER_KEYS, MONGO } from '../../infrastructure/tokens';
import { type ProfileView, profileViews } from './get-profile.query';

export interface ProfilePage {
  items: ProfileView[];
  nextCursor: string | null;
}

export class ListProfilesQuery extends Query<{ items: ProfileView[]; next: string | null }> {
  constructor(
    readonly filter: ProfileFilter,
    readonly limit: number,
    readonly after: string | undefined,
    readonly role: Role,
  ) {
    super();
  }
}

@QueryHandler(ListProfilesQuery)
export class ListProfilesHandler implements IQueryHandler<ListProfilesQuery> {
  constructor(
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(CUSTOMER_KEYS) private readonly keys: CustomerKeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rfm: RfmBoundariesService,
  ) {}

  async execute({ filter, limit, after, role }: ListProfilesQuery) {
    const page = await listProfiles(this.mongo.db, filter, limit, after);
    return {
      items: await profileViews(page.items, role, {
        keys: this.keys,
        rfm: this.rfm,
        config: this.config,
      }),
      next: page.next,
    };
  }
}
