import { Inject, NotFoundException } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AppConfig, Role } from '@app/config';
import { type CustomerKeyStore, isDestroyedKey } from '@app/event-store';
import {
  findProfile,
  type MongoConnection,
  type ProfileDocument,
  type RfmBoundaries,
  rfmInputs,
  rfmScore,
  type RfmScore,
  spendInWindow,
} from '@app/read-models';
import { RFM_WINDOW_DAYS, RfmBoundariesService } from '../../analytics/rfm-boundaries.service';
import { APP_CONFIG, CUSTOMER_KEYS, MONGO } from '../../infrastructure/tokens';
import { personalView } from '../personal-data.view';

export type ProfileView = ReturnType<typeof profileView>;

export class GetProfileQuery extends Query<ProfileView> {
  constructor(
    readonly customerId: string,
    readonly role: Role,
  ) {
    super();
  }
}

@QueryHandler(GetProfileQuery)
export class GetProfileHandler implements IQueryHandler<GetProfileQuery> {
  constructor(
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(CUSTOMER_KEYS) private readonly keys: CustomerKeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly rfm: RfmBoundariesService,
  ) {}

  async execute({ customerId, role }: GetProfileQuery): Promise<ProfileView> {
    const doc = await findProfile(this.mongo.db, customerId);
    if (!doc) throw new NotFoundException(`No profile for customer ${customerId}`);
    const [keys, boundaries] = await Promise.all([
      this.keys.lookup([customerId]),
      this.rfm.current(),
    ]);
    return profileView(doc, keys.get(customerId), role, {
      at: new Date(),
      tierWindowDays: this.config.rules.tiers.windowDays,
      boundaries,
    });
  }
}

/** Profiles of a page as the API shows them, in the order given: keys looked up for those with personal data. */
export async function profileViews(
  docs: readonly ProfileDocument[],
  role: Role,
  sources: { keys: CustomerKeyStore; rfm: RfmBoundariesService; config: AppConfig },
): Promise<ProfileView[]> {
  const withPersonal = docs.filter((doc) => Object.keys(doc.personal).length > 0);
  const [keys, boundaries] = await Promise.all([
    sources.keys.lookup(withPersonal.map((doc) => doc._id)),
    sources.rfm.current(),
  ]);
  const context = {
    at: new Date(),
    tierWindowDays: sources.config.rules.tiers.windowDays,
    boundaries,
  };
  return docs.map((doc) => profileView(doc, keys.get(doc._id), role, context));
}

/** The 360° profile as the API shows it: personal data opened or masked by role, window figures as of `at`. */
export function profileView(
  doc: ProfileDocument,
  key: Buffer | null | undefined,
  role: Role,
  context: { at: Date; tierWindowDays: number; boundaries?: RfmBoundaries },
) {
  const inputs = rfmInputs(doc, context.at, RFM_WINDOW_DAYS);
  const rfm: RfmScore | null =
    inputs && context.boundaries ? rfmScore(inputs, context.boundaries) : null;
  const erased = doc.status === 'erased' || key === null || (key && isDestroyedKey(key));
  return {
    customerId: doc.customerId,
    status: doc.status,
    personalData: erased ? 'erased' : role === 'analyst' ? 'masked' : 'full',
    ...personalView(doc.customerId, doc.personal, key, role),
    region: doc.region,
    origin: doc.origin,
    registeredAt: doc.registeredAt,
    firstSeenAt: doc.firstSeenAt,
    lastSeenAt: doc.lastSeenAt,
    counts: doc.counts,
    spend: {
      ...doc.spend,
      inTierWindow: {
        windowDays: context.tierWindowDays,
        ...spendInWindow(doc.spendByDay, context.at, context.tierWindowDays),
      },
    },
    orders: doc.spend.purchases,
    firstPurchaseAt: doc.firstPurchaseAt,
    lastPurchaseAt: doc.lastPurchaseAt,
    lastPurchase: doc.lastPurchase,
    rfm,
    satisfaction: {
      meanScore: doc.satisfaction.meanScore,
      scores: doc.satisfaction.scores,
      meanNps: doc.satisfaction.meanNps,
      npsAnswers: doc.satisfaction.npsAnswers,
      lastFeedbackAt: doc.satisfaction.lastFeedbackAt,
    },
    complaints: { ...doc.complaints, openCount: doc.complaints.open.length },
    consents: doc.consents,
    lifecycle: doc.lifecycle && { stage: doc.lifecycle.level, ...rest(doc.lifecycle) },
    tier: doc.tier,
    quadrant: doc.quadrant,
    account: doc.account,
    mergedInto: doc.mergedInto,
    erasedAt: doc.erasedAt,
    nextReviewAt: doc.nextReviewAt,
    position: doc.position,
  };
}

function rest<T extends { level: string }>(value: T): Omit<T, 'level'> {
  const { level: _level, ...others } = value;
  return others;
}
