import { Inject, NotFoundException } from '@nestjs/common';
import { type IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { StreamReader } from '@app/event-store';
import { STREAM_READER } from '../../infrastructure/tokens';
import { encodeHistoryCursor } from '../history-cursor';
import { type HistoryEvent, type HistoryFilter, readHistory, streamExists } from '../history';

export interface HistoryPage {
  customerId: string;
  items: HistoryEvent[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** One page of a customer's history, cut by stream revision. */
export class GetHistoryQuery extends Query<HistoryPage> {
  constructor(
    readonly customerId: string,
    readonly filter: HistoryFilter,
    readonly limit: number,
    readonly fromRevision: number,
  ) {
    super();
  }
}

@QueryHandler(GetHistoryQuery)
export class GetHistoryHandler implements IQueryHandler<GetHistoryQuery> {
  constructor(@Inject(STREAM_READER) private readonly reader: StreamReader) {}

  async execute({ customerId, filter, limit, fromRevision }: GetHistoryQuery) {
    const items: HistoryEvent[] = [];
    let more = false;
    const unfiltered =
      filter.types === undefined && filter.from === undefined && filter.to === undefined;
    // Without filters one event past the page says whether there is a next one; with filters, reading stops there.
    const maxCount = unfiltered ? limit + 1 : undefined;
    for await (const event of readHistory(this.reader, customerId, filter, {
      fromRevision,
      maxCount,
    })) {
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(event);
    }
    if (items.length === 0 && !(await streamExists(this.reader, customerId))) {
      throw new NotFoundException(`No events for customer ${customerId}`);
    }
    const last = items.at(-1);
    return {
      customerId,
      items,
      nextCursor: more && last ? encodeHistoryCursor(last.revision + 1) : null,
    };
  }
}

/** The whole (filtered) history, for streaming as NDJSON; 404 before the first event when there is none. */
export class StreamHistoryQuery extends Query<AsyncIterable<HistoryEvent>> {
  constructor(
    readonly customerId: string,
    readonly filter: HistoryFilter,
    readonly fromRevision: number,
  ) {
    super();
  }
}

@QueryHandler(StreamHistoryQuery)
export class StreamHistoryHandler implements IQueryHandler<StreamHistoryQuery> {
  constructor(@Inject(STREAM_READER) private readonly reader: StreamReader) {}

  async execute({ customerId, filter, fromRevision }: StreamHistoryQuery) {
    if (!(await streamExists(this.reader, customerId))) {
      throw new NotFoundException(`No events for customer ${customerId}`);
    }
    return readHistory(this.reader, customerId, filter, { fromRevision });
  }
}
