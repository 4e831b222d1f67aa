import { Inject, Logger } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { isDomainError, touchpointCarriesPersonalData } from '@app/domain';
import type { CommandContext } from '@app/event-store';
import { toProblem } from '../../http/problem.filter';
import { validateItem } from '../../http/validate-item';
import type { CustomerStore } from '../../infrastructure/customer-store';
import { CUSTOMER_STORE } from '../../infrastructure/tokens';
import type { BatchItemResult } from '../dto/touchpoint-batch.dto';
import { TouchpointDto } from '../dto/touchpoint.dto';
import { storedTouchpoint, type TouchpointRequest, touchpointRequest } from '../touchpoint-command';

export interface BatchReceipt {
  results: BatchItemResult[];
  /** Highest commit position written by this batch: pass it as minPosition to read your writes. */
  position: number | null;
}

export class RecordTouchpointBatchCommand extends Command<BatchReceipt> {
  constructor(
    readonly touchpoints: unknown[],
    readonly context: CommandContext,
  ) {
    super();
  }
}

/** Customers whose touchpoints are appended at the same time. */
const CONCURRENT_CUSTOMERS = 64;

/**
 * Bytes of touchpoints (as received) per append. The event store refuses appends over 1 MiB by default; stored
 * events are larger than what was received (metadata, encryption), so one customer's touchpoints are appended in
 * chunks well under that.
 */
const APPEND_BUDGET_BYTES = 256 * 1024;

interface Item {
  index: number;
  dto: TouchpointDto;
  bytes: number;
}

@CommandHandler(RecordTouchpointBatchCommand)
export class RecordTouchpointBatchHandler implements ICommandHandler<RecordTouchpointBatchCommand> {
  private readonly logger = new Logger('TouchpointBatch');

  constructor(@Inject(CUSTOMER_STORE) private readonly store: CustomerStore) {}

  async execute({ touchpoints, context }: RecordTouchpointBatchCommand): Promise<BatchReceipt> {
    const now = new Date().toISOString();
    const results: BatchItemResult[] = new Array<BatchItemResult>(touchpoints.length);
    const byCustomer = new Map<string, Item[]>();
    touchpoints.forEach((plain, index) => {
      const checked = validateItem(TouchpointDto, plain);
      if (!checked.ok) {
        results[index] = { index, status: 'rejected', errors: checked.errors };
        return;
      }
      const items = byCustomer.get(checked.value.customerId) ?? [];
      items.push({ index, dto: checked.value, bytes: Buffer.byteLength(JSON.stringify(plain)) });
      byCustomer.set(checked.value.customerId, items);
    });

    // One key query for every customer that gets personal data in this batch, instead of one per customer.
    await this.store.prepareKeys(
      [...byCustomer]
        .filter(([, items]) => items.some(({ dto }) => touchpointCarriesPersonalData(dto)))
        .map(([id]) => id),
    );

    let position: number | null = null;
    const groups = [...byCustomer.entries()];
    const worker = async () => {
      for (let group = groups.shift(); group; group = groups.shift()) {
        const [customerId, items] = group;
        for (const chunk of chunks(items)) {
          const requests = chunk.map(({ dto }) => touchpointRequest(dto, context, now));
          try {
            const outcome = await this.store.executeMany(customerId, requests);
            if (outcome.position !== undefined) {
              position = Math.max(position ?? 0, outcome.position);
            }
            chunk.forEach(({ index }, i) => {
              results[index] = toResult(index, requests[i], outcome.outcomes[i]);
            });
          } catch (error) {
            // This customer's chunk is not stored; the other customers' items go on.
            const failure = describeFailure(error);
            if (failure.code === 'INTERNAL_ERROR') this.logger.error(error);
            for (const { index } of chunk) {
              results[index] = { index, status: 'rejected', errors: [failure] };
            }
          }
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENT_CUSTOMERS, groups.length) }, worker),
    );
    return { results, position };
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

/** A per-item error for a store failure; `retryable` tells the emitter that sending it again may succeed. */
function describeFailure(error: unknown): { code: string; message: string; retryable: boolean } {
  const problem = toProblem(error);
  if (problem && typeof problem.code === 'string') {
    return {
      code: problem.code,
      message: problem.detail,
      retryable: problem.status >= 500 || problem.status === 409,
    };
  }
  return {
    code: 'INTERNAL_ERROR',
    message: 'storing this item failed; it has been logged',
    retryable: true,
  };
}

function toResult(
  index: number,
  request: TouchpointRequest,
  outcome: Awaited<ReturnType<CustomerStore['executeMany']>>['outcomes'][number],
): BatchItemResult {
  if (!outcome.ok) {
    if (!isDomainError(outcome.error)) throw outcome.error;
    return {
      index,
      status: 'rejected',
      errors: [{ code: outcome.error.code, message: outcome.error.message }],
    };
  }
  const eventId = request.touchpointEventId;
  const stored = storedTouchpoint(outcome.events, request);
  return stored
    ? { index, status: 'created', eventId, revision: stored.revision }
    : { index, status: 'duplicate', eventId };
}
