import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { type CustomerEvent, type CustomerState, touchpointCarriesPersonalData } from '@app/domain';
import { type CommandContext, type DecisionResult, forEachConcurrently } from '@app/event-store';
import type { TouchpointIdStore } from '@app/read-models';
import type { CustomerStore } from '../../infrastructure/customer-store';
import { CUSTOMER_STORE, TOUCHPOINT_IDS } from '../../infrastructure/tokens';
import type { TouchpointDto } from '../dto/touchpoint.dto';
import {
  claimTouchpointIds,
  locateDuplicates,
  storedTouchpoint,
  type TouchpointRequest,
  touchpointRequest,
} from '../touchpoint-command';

/**
 * What became of one touchpoint of a batch; `failed` carries the error for the transport layer to describe. The
 * position is that of the append that stored the touchpoint, now or (a duplicate) before.
 */
export type TouchpointOutcome =
  | { status: 'created' | 'duplicate'; eventId: string; revision: number; position: number | null }
  | { status: 'failed'; error: unknown };

export interface BatchOutcome {
  /** One per touchpoint, in the order they were given. */
  outcomes: TouchpointOutcome[];
  /**
   * Highest commit position of the batch's touchpoints, stored now or before: pass it as minPosition to read your
   * writes.
   */
  position: number | null;
}

/** Records validated touchpoints, each on its own: one that fails does not stop the others. */
export class RecordTouchpointBatchCommand extends Command<BatchOutcome> {
  constructor(
    readonly touchpoints: readonly TouchpointDto[],
    readonly context: CommandContext,
  ) {
    super();
  }
}

/** Customers whose touchpoints are appended at the same time. */
const CONCURRENT_CUSTOMERS = 64;

/**
 * Bytes of touchpoints (as validated) per append. The event store refuses appends over 1 MiB by default; stored
 * events are larger (metadata, encryption), so one customer's touchpoints are appended in chunks well under that.
 */
const APPEND_BUDGET_BYTES = 256 * 1024;

interface Item {
  position: number;
  dto: TouchpointDto;
  request: TouchpointRequest;
  bytes: number;
}

@CommandHandler(RecordTouchpointBatchCommand)
export class RecordTouchpointBatchHandler implements ICommandHandler<RecordTouchpointBatchCommand> {
  constructor(
    @Inject(CUSTOMER_STORE) private readonly store: CustomerStore,
    @Inject(TOUCHPOINT_IDS) private readonly ids: TouchpointIdStore,
  ) {}

  async execute({ touchpoints, context }: RecordTouchpointBatchCommand): Promise<BatchOutcome> {
    const now = new Date().toISOString();
    const outcomes = new Array<TouchpointOutcome>(touchpoints.length);
    const all = touchpoints.map((dto, position) => ({
      position,
      dto,
      request: touchpointRequest(dto, context, now),
      bytes: Buffer.byteLength(JSON.stringify(dto)),
    }));
    // Every id claimed in one round trip, and the streams of the customers that get personal data made ready
    // (keys fetched or created in one round trip each, unseen streams read), both before anything is appended.
    const [claims] = await Promise.all([
      claimTouchpointIds(this.ids, all),
      this.store.prepare([
        ...new Set(
          all
            .filter(({ dto }) => touchpointCarriesPersonalData(dto))
            .map(({ dto }) => dto.customerId),
        ),
      ]),
    ]);
    const byCustomer = new Map<string, Item[]>();
    all.forEach((item, i) => {
      const error = claims.reused[i];
      if (error) {
        outcomes[item.position] = { status: 'failed', error };
        return;
      }
      const items = byCustomer.get(item.dto.customerId) ?? [];
      items.push(item);
      byCustomer.set(item.dto.customerId, items);
    });

    let position: number | null = null;
    await forEachConcurrently(
      [...byCustomer],
      CONCURRENT_CUSTOMERS,
      async ([customerId, items]) => {
        for (const chunk of chunks(items)) {
          try {
            const result = await this.store.executeMany(
              customerId,
              chunk.map(({ request }) => request),
              { mayBeResent: claims.mayBeResent },
            );
            for (const [at, outcome] of await this.outcomes(customerId, chunk, result)) {
              outcomes[at] = outcome;
              if (outcome.status !== 'failed' && outcome.position !== null) {
                position = Math.max(position ?? 0, outcome.position);
              }
            }
          } catch (error) {
            // This customer's chunk is not stored; the other customers' items go on.
            for (const { position: at } of chunk) outcomes[at] = { status: 'failed', error };
          }
        }
      },
    );
    return { outcomes, position };
  }

  /** Each item's outcome by its place in the batch; duplicates with where their stored event is. */
  private async outcomes(
    customerId: string,
    chunk: readonly Item[],
    result: DecisionResult<CustomerEvent, CustomerState>,
  ): Promise<Array<[number, TouchpointOutcome]>> {
    const duplicates = chunk.filter(
      ({ request }, i) =>
        result.outcomes[i].ok && !storedTouchpoint(result.outcomes[i].events, request),
    );
    const located = await locateDuplicates(
      this.store,
      customerId,
      duplicates.map(({ request }) => request),
    );
    return chunk.map(({ position: at, request }, i): [number, TouchpointOutcome] => {
      const outcome = result.outcomes[i];
      if (!outcome.ok) return [at, { status: 'failed', error: outcome.error }];
      const eventId = request.touchpointEventId;
      const event = storedTouchpoint(outcome.events, request);
      if (event) {
        const position = result.position ?? null;
        return [at, { status: 'created', eventId, revision: event.revision, position }];
      }
      const original = located.get(eventId);
      return [
        at,
        {
          status: 'duplicate',
          eventId,
          revision: original?.revision ?? result.revision,
          position: original?.position ?? null,
        },
      ];
    });
  }
}

function* chunks(items: Item[]): Generator<Item[]> {
  let chunk: Item[] = [];
  let bytes = 0;
  for (const item of items) {
    if (chunk.length > 0 && bytes + item.bytes > APPEND_BUDGET_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += item.bytes;
  }
  if (chunk.length > 0) yield chunk;
}
