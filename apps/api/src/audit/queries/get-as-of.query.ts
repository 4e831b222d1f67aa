import { Inject, NotFoundException } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AppConfig, Role } from '@app/config';
import {
  createCustomerDecider,
  type CustomerEvent,
  type CustomerState,
  customerStreamId,
  dueTransitions,
  eventOccurredAt,
  isCustomerEventType,
} from '@app/domain';
import type { CustomerKeyStore, StoredEvent, StreamReader } from '@app/event-store';
import {
  emptyProfile,
  finishProfile,
  foldStoredIntoProfile,
  type ProfileDocument,
} from '@app/read-models';
import { APP_CONFIG, CUSTOMER_KEYS, STREAM_READER } from '../../infrastructure/tokens';
import { type AsOfSnapshot, AsOfSnapshots } from '../as-of-snapshots';
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

/** What a fold of the stream left: the state and profile, how many events it applied and left out, its snapshots. */
interface Fold {
  state: CustomerState;
  doc: ProfileDocument;
  applied: number;
  recordedLater: number;
  occurredLater: number;
  taken: AsOfSnapshot[];
}

@QueryHandler(GetAsOfQuery)
export class GetAsOfHandler implements IQueryHandler<GetAsOfQuery> {
  constructor(
    @Inject(STREAM_READER) private readonly reader: StreamReader,
    @Inject(CUSTOMER_KEYS) private readonly keys: CustomerKeyStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly snapshots: AsOfSnapshots,
  ) {}

  async execute({ customerId, at, knownAt, role }: GetAsOfQuery): Promise<AsOfView> {
    const { rules } = this.config;
    const [atMs, knownMs] = [at.getTime(), knownAt.getTime()];
    // Start from the newest fold of this stream that this query would have made itself (see AsOfSnapshot).
    const start = await this.snapshots.startFor(customerId, atMs, knownMs);
    let fold = await this.fold(customerId, atMs, knownMs, start);
    if (!fold) {
      // The stream no longer holds the snapshot's last event: the snapshots are of another stream. Drop them.
      this.snapshots.forgetLater([customerId]);
      fold = (await this.fold(customerId, atMs, knownMs, undefined))!;
    }
    const { state, doc, applied, recordedLater, occurredLater, taken } = fold;
    const key = (await this.keys.lookup([customerId])).get(customerId);
    // A destroyed key (an erased customer): its sealed values are not written to MongoDB again.
    for (const kept of taken) this.snapshots.keep(customerId, kept, { persist: key !== null });
    if (applied === 0) {
      throw new NotFoundException(
        `No events of customer ${customerId} at or before ${at.toISOString()} recorded by ${knownAt.toISOString()}`,
      );
    }
    const due = dueTransitions(state, at.toISOString(), rules);
    finishProfile(doc, rules, due);
    const profile = profileView(doc, key, role, {
      at,
      tierWindowDays: rules.tiers.windowDays,
    });
    return {
      customerId,
      at: at.toISOString(),
      knownAt: knownAt.toISOString(),
      eventsApplied: applied,
      eventsRecordedLater: recordedLater,
      eventsOccurredLater: occurredLater,
      dueTransitions: due,
      stage: doc.lifecycle?.level ?? null,
      tier: doc.tier?.level ?? null,
      segments: { quadrant: doc.quadrant?.level ?? null, account: doc.account?.level ?? null },
      profile,
    };
  }

  /**
   * Folds the events recorded by `knownMs` that took effect by `atMs`, from `start` when given (undefined when the
   * stream does not hold the start's last event at its revision), taking a snapshot wherever nothing was left out.
   */
  private async fold(
    customerId: string,
    atMs: number,
    knownMs: number,
    start: AsOfSnapshot | undefined,
  ): Promise<Fold | undefined> {
    const decider = createCustomerDecider(this.config.rules);
    let state = start?.state ?? decider.initialState;
    const doc = start ? structuredClone(start.profile) : emptyProfile(customerId);
    let applied = start?.eventsApplied ?? 0;
    let recordedUntil = start?.recordedUntil ?? Number.NEGATIVE_INFINITY;
    let occurredUntil = start?.occurredUntil ?? Number.NEGATIVE_INFINITY;
    let recordedLater = 0;
    let occurredLater = 0;
    let lastRevision = start?.revision ?? -1;
    let tip: AsOfSnapshot['tip'] = start?.tip ?? { eventId: '', chain: null };
    const taken: AsOfSnapshot[] = [];
    // Sealed: the profile keeps personal values sealed like the read model; the view `execute` builds opens them.
    // From the start's own last event, to check that it is still the one there.
    const events = this.reader.readStream(customerStreamId(customerId), {
      open: 'sealed',
      fromRevision: start?.revision ?? 0,
    });
    let resumed = !start;
    for await (const stored of events) {
      if (!resumed) {
        if (stored.revision !== start!.revision || !isTip(stored, start!.tip)) return undefined;
        resumed = true;
        continue;
      }
      lastRevision = stored.revision;
      tip = { eventId: stored.id, chain: stored.metadata.chain ?? null };
      if (isCustomerEventType(stored.type)) {
        const recorded = Date.parse(stored.metadata.recordedAt);
        const event = { type: stored.type, data: stored.data } as CustomerEvent;
        // Transitions count from their effective moment, like every event from its business time.
        const occurred = Date.parse(eventOccurredAt(event));
        if (!(recorded <= knownMs)) {
          recordedLater += 1;
        } else if (!(occurred <= atMs)) {
          occurredLater += 1;
        } else {
          state = decider.evolve(state, event);
          foldStoredIntoProfile(doc, stored);
          applied += 1;
          recordedUntil = Math.max(recordedUntil, recorded);
          occurredUntil = Math.max(occurredUntil, occurred);
        }
      }
      // Nothing left out so far: the fold up to here is one any query at or after these bounds would make.
      const whole = recordedLater === 0 && occurredLater === 0;
      if (whole && this.snapshots.isRegular(lastRevision)) {
        taken.push(snapshot());
      }
    }
    if (!resumed) return undefined;
    function snapshot(): AsOfSnapshot {
      return {
        revision: lastRevision,
        tip,
        recordedUntil,
        occurredUntil,
        eventsApplied: applied,
        state,
        profile: structuredClone(doc),
      };
    }
    if (recordedLater === 0 && occurredLater === 0 && lastRevision >= 0) {
      taken.push(snapshot());
    }
    return { state, doc, applied, recordedLater, occurredLater, taken };
  }
}

/** Whether a stored event is the one a snapshot ended with: the same id, and the same chain hash if it had one. */
function isTip(stored: StoredEvent, tip: AsOfSnapshot['tip']): boolean {
  return stored.id === tip.eventId && (stored.metadata.chain ?? null) === tip.chain;
}
