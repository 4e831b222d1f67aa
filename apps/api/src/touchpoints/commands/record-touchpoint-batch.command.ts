import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { touchpointCarriesPersonalData } from '@app/domain';
import type { CommandContext } from '@app/event-store';
import type { CustomerStore } from '../../infrastructure/customer-store';
import { CUSTOMER_STORE } from '../../infrastructure/tokens';
import type { TouchpointDto } from '../dto/touchpoint.dto';
import { storedTouchpoint, type TouchpointRequest, touchpointRequest } from '../touchpoint-command';

/** What became of one touchpoint of a batch; `failed` carries the error for the transport layer to describe. */
export type TouchpointOutcome =
  | { status: 'created'; eventId: string; revision: number }
  | { status: 'duplicate'; eventId: string }
  | { status: 'failed'; error: unknown };

export interface BatchOutcome {
  /** One per touchpoint, in the order they were given. */
  outcomes: TouchpointOutcome[];
  /** Highest commit position written by this batch: pass it as minPosition to read your writes. */
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
  constructor(@Inject(CUSTOMER_STORE) private readonly store: CustomerStore) {}

  async execute({ touchpoints, context }: RecordTouchpointBatchCommand): Promise<BatchOutcome> {
    const now = new Date().toISOString();
    const byCustomer = new Map<string, Item[]>();
    touchpoints.forEach((dto, position) => {
      const items = byCustomer.get(dto.customerId) ?? [];
      items.push({
        position,
        dto,
        request: touchpointRequest(dto, context, now),
        bytes: Buffer.byteLength(JSON.stringify(dto)),
      });
      byCustomer.set(dto.customerId, items);
    });
    // One key query for every customer that gets personal data in this batch, instead of one per customer.
    await this.store.prepareKeys(
      [...byCustomer]
        .filter(([, items]) => items.some(({ dto }) => touchpointCarriesPersonalData(dto)))
        .map(([id]) => id),
    );

    const outcomes = new Array<TouchpointOutcome>(touchpoints.length);
    let position: number | null = null;
    const groups = [...byCustomer];
    const worker = async () => {
      for (let group = groups.shift(); group; group = groups.shift()) {
        const [customerId, items] = group;
        for (const chunk of chunks(items)) {
          try {
            const result = await this.store.executeMany(
              customerId,
              chunk.map(({ request }) => request),
            );
            if (result.position !== undefined) {
              position = Math.max(position ?? 0, result.position);
            }
            chunk.forEach(({ position: at, request }, i) => {
              const outcome = result.outcomes[i];
              outcomes[at] = outcome.ok
                ? stored(request, outcome.events)
                : { status: 'failed', error: outcome.error };
            });
          } catch (error) {
            // This customer's chunk is not stored; the other customers' items go on.
            for (const { position: at } of chunk) outcomes[at] = { status: 'failed', error };
          }
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENT_CUSTOMERS, groups.length) }, worker),
    );
    return { outcomes, position };
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

function stored(
  request: TouchpointRequest,
  events: Parameters<typeof storedTouchpoint>[0],
): TouchpointOutcome {
  const eventId = request.touchpointEventId;
  const event = storedTouchpoint(events, request);
  return event
    ? { status: 'created', eventId, revision: event.revision }
    : { status: 'duplicate', eventId };
}
