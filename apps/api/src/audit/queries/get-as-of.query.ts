import { Inject, NotFoundException } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AppConfig, Role } from '@app/config';
import {
  createCustomerDecider,
  type CustomerEvent,
  customerStreamId,
  dueTransitions,
  eventOccurredAt,
  isCustomerEventType,
} from '@app/domain';
import type { CustomerKeyStore, StoredEvent, StreamReader } from '@app/event-store';
import { foldProfile } from '@app/read-models';
import { APP_CONFIG, CUSTOMER_KEYS, STREAM_READER } from '../../infrastructure/tokens';
import { type ProfileView, profileView } from '../../profiles/queries/get-profile.query';

export interface AsOfView {
  customerId: string;
  at: string;
  knownAt: string;
  /** Stored events folded: recorded by knownAt with business time at or before `at`. */
  eventsApplied: number;
  /** Stored events left out: recorded after knownAt, or (recorded in time) with business time after `at`. */
  eventsRecordedLater: number;
  eventsOccurredLater: number;
  /** Transitions due by `at` that no review had appended (as known at knownAt): the policies' verdict. */
  dueTransitions: CustomerEvent[];
  stage: string | null;
  tier: string | null;
  segments: { quadrant: string | null; account: string | null };
  profile: ProfileView;
}

/** The customer as it was at business time `at`, judged only on what was recorded by `knownAt`. */
export class GetAsOfQuery extends Query<AsOfView> {
  constructor(
    readonly customerId: string,
    readonly at: Date,
    readonly knownAt: Date,
    readonly role: Role,
  ) {
    super();
  }
}

@QueryHandler(GetAsOfQuery)
export class GetAsOfHandler implements IQueryHandler<GetAsOfQuery> {
  constructor(
    @Inject(STREAM_READER) private readonly reader: StreamReader,
    @Inject(CUSTOMER_KEYS) private readonly keys: CustomerKeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ customerId, at, knownAt, role }: GetAsOfQuery): Promise<AsOfView> {
    const { rules } = this.config;
    const decider = createCustomerDecider(rules);
    const [atMs, knownMs] = [at.getTime(), knownAt.getTime()];
    let state = decider.initialState;
    const applied: StoredEvent[] = [];
    let recordedLater = 0;
    let occurredLater = 0;
    // Sealed: the profile keeps personal values sealed like the read model; they are opened for the view below.
    for await (const stored of this.reader.readStream(customerStreamId(customerId), {
      open: 'sealed',
    })) {
      if (!isCustomerEventType(stored.type)) continue;
      if (!(Date.parse(stored.metadata.recordedAt) <= knownMs)) {
        recordedLater += 1;
        continue;
      }
      const event = { type: stored.type, data: stored.data } as CustomerEvent;
      // Transitions count from their effective moment, like every event from its business time.
      if (!(Date.parse(eventOccurredAt(event)) <= atMs)) {
        occurredLater += 1;
        continue;
      }
      state = decider.evolve(state, event);
      applied.push(stored);
    }
    if (applied.length === 0) {
      throw new NotFoundException(
        `No events of customer ${customerId} at or before ${at.toISOString()} recorded by ${knownAt.toISOString()}`,
      );
    }
    const due = dueTransitions(state, at.toISOString(), rules);
    const doc = foldProfile(customerId, applied, rules, due);
    const key = (await this.keys.lookup([customerId])).get(customerId);
    const profile = profileView(doc, key, role, {
      at,
      tierWindowDays: rules.tiers.windowDays,
    });
    return {
      customerId,
      at: at.toISOString(),
      knownAt: knownAt.toISOString(),
      eventsApplied: applied.length,
      eventsRecordedLater: recordedLater,
      eventsOccurredLater: occurredLater,
      dueTransitions: due,
      stage: doc.lifecycle?.level ?? null,
      tier: doc.tier?.level ?? null,
      segments: { quadrant: doc.quadrant?.level ?? null, account: doc.account?.level ?? null },
      profile,
    };
  }
}
