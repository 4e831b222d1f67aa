import { Inject, NotFoundException } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AppConfig } from '@app/config';
import { customerStreamId, PERSONAL_FIELDS, upcast } from '@app/domain';
import {
  type ChainBreak,
  checkStreamChain,
  type EventStoreDBClient,
  type StoredEvent,
  StreamReader,
} from '@app/event-store';
import {
  type CollectionComparison,
  customerProjections,
  type DocumentDifference,
  type MongoConnection,
  verifyCustomer,
  waitForPosition,
} from '@app/read-models';
import { ReadModelBehindError } from '../../http/min-position';
import { APP_CONFIG, EVENT_STORE, MONGO } from '../../infrastructure/tokens';

export interface CustomerVerification {
  customerId: string;
  ok: boolean;
  events: number;
  /** Commit position of the customer's last event. */
  position: string | null;
  chain: {
    ok: boolean;
    chained: number;
    /** Written before chaining existed. */
    unchained: number;
    firstBreak: ChainBreak | null;
  };
  readModels: {
    ok: boolean;
    collections: CollectionComparison[];
    differences: DocumentDifference[];
  };
}

export class VerifyCustomerQuery extends Query<CustomerVerification> {
  constructor(readonly customerId: string) {
    super();
  }
}

/** Attempts when events keep arriving while the customer is checked. */
const ATTEMPTS = 3;

/**
 * One customer, proved: the stream's hash chain checked from its first event, and the stream folded again with the
 * projector's own projection code into scratch collections, compared with the live profile, intervals and facts.
 */
@QueryHandler(VerifyCustomerQuery)
export class VerifyCustomerHandler implements IQueryHandler<VerifyCustomerQuery> {
  private readonly reader: StreamReader;

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStoreDBClient,
    @Inject(MONGO) private readonly mongo: MongoConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.reader = new StreamReader(eventStore, { upcast, personalFields: PERSONAL_FIELDS });
  }

  async execute({ customerId }: VerifyCustomerQuery): Promise<CustomerVerification> {
    const streamId = customerStreamId(customerId);
    const projections = customerProjections(this.config.rules);
    const names = projections.map((p) => p.name);
    for (let attempt = 1; ; attempt += 1) {
      const events: StoredEvent[] = [];
      for await (const event of this.reader.readStream(streamId, { open: 'sealed' })) {
        events.push(event);
      }
      if (events.length === 0) throw new NotFoundException(`No events for customer ${customerId}`);
      const last = events[events.length - 1].position;
      const waitMs = this.config.minPositionWaitMs;
      if (!(await waitForPosition(this.mongo.db, names, last, waitMs))) {
        throw new ReadModelBehindError(last.commit.toString(), names, waitMs);
      }
      const [chain, readModels] = await Promise.all([
        checkStreamChain(this.reader, streamId),
        verifyCustomer({ db: this.mongo.db, projections, customerId, events }),
      ]);
      const movedOn =
        readModels.collections.some((c) => c.newer > 0) || chain.events > events.length;
      if (movedOn && attempt < ATTEMPTS) continue;
      return {
        customerId,
        ok: chain.firstBreak === null && readModels.ok,
        events: events.length,
        position: readModels.position,
        chain: {
          ok: chain.firstBreak === null,
          chained: chain.chained,
          unchained: chain.unchained,
          firstBreak: chain.firstBreak,
        },
        readModels: {
          ok: readModels.ok,
          collections: readModels.collections,
          differences: readModels.differences,
        },
      };
    }
  }
}
