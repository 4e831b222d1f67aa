import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { isDomainError } from '@app/domain';
import type { CommandContext } from '@app/event-store';
import { validateItem } from '../../http/validate-item';
import type { CustomerStore } from '../../infrastructure/customer-store';
import { CUSTOMER_STORE } from '../../infrastructure/tokens';
import type { BatchItemResult } from '../dto/touchpoint-batch.dto';
import { TouchpointDto } from '../dto/touchpoint.dto';
import { touchpointRequest } from '../touchpoint-command';

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

/** Customers whose touchpoints are appended at the same time; each customer is one append. */
const CONCURRENT_CUSTOMERS = 64;

@CommandHandler(RecordTouchpointBatchCommand)
export class RecordTouchpointBatchHandler implements ICommandHandler<RecordTouchpointBatchCommand> {
  constructor(@Inject(CUSTOMER_STORE) private readonly store: CustomerStore) {}

  async execute({ touchpoints, context }: RecordTouchpointBatchCommand): Promise<BatchReceipt> {
    const now = new Date().toISOString();
    const results: BatchItemResult[] = new Array<BatchItemResult>(touchpoints.length);
    const byCustomer = new Map<string, Array<{ index: number; dto: TouchpointDto }>>();
    touchpoints.forEach((plain, index) => {
      const checked = validateItem(TouchpointDto, plain);
      if (!checked.ok) {
        results[index] = { index, status: 'rejected', errors: checked.errors };
        return;
      }
      const items = byCustomer.get(checked.value.customerId) ?? [];
      items.push({ index, dto: checked.value });
      byCustomer.set(checked.value.customerId, items);
    });

    let position: number | null = null;
    const groups = [...byCustomer.entries()];
    const worker = async () => {
      for (let group = groups.shift(); group; group = groups.shift()) {
        const [customerId, items] = group;
        const requests = items.map(({ dto }) => touchpointRequest(dto, context, now));
        const outcome = await this.store.executeMany(customerId, requests);
        if (outcome.position !== undefined) position = Math.max(position ?? 0, outcome.position);
        items.forEach(({ index }, i) => {
          results[index] = toResult(index, requests[i].touchpointEventId, outcome.outcomes[i]);
        });
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENT_CUSTOMERS, groups.length) }, worker),
    );
    return { results, position };
  }
}

function toResult(
  index: number,
  eventId: string,
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
  const stored = outcome.events.find((decided) => decided.eventId === eventId);
  return stored
    ? { index, status: 'created', eventId, revision: stored.revision }
    : { index, status: 'duplicate', eventId };
}
