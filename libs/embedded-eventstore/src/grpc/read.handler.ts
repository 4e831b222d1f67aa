import { type ServerWritableStream, status } from '@grpc/grpc-js';
import type { ReadReq } from '@eventstore/db-client/generated/streams_pb';
import { EventFilter, type FilterSpec, InvalidFilterError } from '../store/event-filter';
import type { EventStore } from '../store/event-store';
import {
  encodeCaughtUp,
  encodeCheckpoint,
  encodeConfirmation,
  encodeEventResponse,
  encodeStreamNotFound,
  withStructuredId,
} from '../protocol/read-response.encoder';
import { grpcError, invalidArgument, streamDeletedError } from './grpc-errors';
import { BadRequest, streamNameOf, uint64Of } from './request-parsing';
import { callDeadline, deadlineExceededError, hasExpired } from './deadline';

// Filtered subscriptions checkpoint every (window × multiplier) scanned events; the window is 32
// unless the client sets `max`, as on the reference server.
const DEFAULT_SEARCH_WINDOW = 32;
const MAX_QUEUED_MESSAGES = 256;
const READ_FORWARDS = 0;
const READ_BACKWARDS = 1;

type ReadCall = ServerWritableStream<ReadReq, Buffer>;

interface ReadPlan {
  resolveLinks: boolean;
  structuredIds: boolean;
  direction: 'forwards' | 'backwards';
  count: number;
  subscription: boolean;
  filter: EventFilter | undefined;
  checkpointInterval: number;
  target:
    | { kind: 'stream'; name: string; from: 'start' | 'end' | bigint }
    | { kind: 'all'; from: 'start' | 'end' | number };
}

export function handleRead(store: EventStore, call: ReadCall): void {
  const deadline = callDeadline(call);
  if (hasExpired(deadline)) {
    call.emit('error', deadlineExceededError());
    return;
  }
  let plan: ReadPlan;
  try {
    plan = parseReadRequest(call.request);
  } catch (error) {
    const message =
      error instanceof BadRequest || error instanceof InvalidFilterError
        ? error.message
        : 'malformed read request';
    call.emit('error', invalidArgument(message));
    return;
  }
  const writer = new CallWriter(call);
  writer.expireAt(deadline);
  const run = plan.subscription ? subscribe(store, plan, writer) : read(store, plan, writer);
  run.catch((error: unknown) => writer.fail(error));
}

function parseReadRequest(request: ReadReq): ReadPlan {
  const options = request.getOptions();
  if (!options) throw new BadRequest('read request carried no options');
  const direction = options.getReadDirection() as number;
  if (direction !== READ_FORWARDS && direction !== READ_BACKWARDS) {
    throw new BadRequest(`unknown read direction ${String(direction)}`);
  }
  let filter: EventFilter | undefined;
  let checkpointInterval = 0;
  if (options.hasFilter()) {
    const filterOptions = options.getFilter()!;
    const on = filterOptions.hasStreamIdentifier()
      ? 'stream'
      : filterOptions.hasEventType()
        ? 'type'
        : undefined;
    if (!on) throw new BadRequest('a filter must apply to the stream identifier or the event type');
    const expression =
      on === 'stream' ? filterOptions.getStreamIdentifier()! : filterOptions.getEventType()!;
    const spec: FilterSpec = {
      on,
      regex: expression.getRegex(),
      prefixes: expression.getPrefixList(),
    };
    filter = new EventFilter(spec);
    const window = filterOptions.hasMax() ? filterOptions.getMax() : DEFAULT_SEARCH_WINDOW;
    if (window <= 0) throw new BadRequest('the filter search window must be greater than 0');
    const multiplier = filterOptions.getCheckpointintervalmultiplier();
    checkpointInterval = window * (multiplier > 0 ? multiplier : 1);
  }
  const subscription = options.hasSubscription();
  let count = Number.MAX_SAFE_INTEGER;
  if (!subscription) {
    if (!options.hasCount()) throw new BadRequest('a read needs a count or subscription options');
    const requested = uint64Of(options.getCount(), 'count');
    count =
      requested > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(requested);
  }
  let target: ReadPlan['target'];
  if (options.hasStream()) {
    const streamOptions = options.getStream()!;
    const name = streamNameOf(streamOptions.getStreamIdentifier());
    let from: 'start' | 'end' | bigint;
    if (streamOptions.hasStart()) from = 'start';
    else if (streamOptions.hasEnd()) from = 'end';
    else if (streamOptions.hasRevision()) from = uint64Of(streamOptions.getRevision(), 'revision');
    else throw new BadRequest('stream options need start, end or a revision');
    target = { kind: 'stream', name, from };
  } else if (options.hasAll()) {
    const allOptions = options.getAll()!;
    let from: 'start' | 'end' | number;
    if (allOptions.hasStart()) from = 'start';
    else if (allOptions.hasEnd()) from = 'end';
    else if (allOptions.hasPosition()) {
      const position = allOptions.getPosition()!;
      const commit = uint64Of(position.getCommitPosition(), 'commit position');
      const prepare = uint64Of(position.getPreparePosition(), 'prepare position');
      if (prepare > commit)
        throw new BadRequest('prepare position must not be after commit position');
      from = commit > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(commit);
    } else throw new BadRequest('$all options need start, end or a position');
    target = { kind: 'all', from };
  } else {
    throw new BadRequest('a read must target a stream or $all');
  }
  return {
    resolveLinks: options.getResolveLinks(),
    structuredIds: options.getUuidOption()?.hasStructured() ?? false,
    direction: direction === READ_FORWARDS ? 'forwards' : 'backwards',
    count,
    subscription,
    filter: target.kind === 'all' ? filter : undefined,
    checkpointInterval: target.kind === 'all' ? checkpointInterval : 0,
    target,
  };
}

function eventResponse(store: EventStore, plan: ReadPlan, index: number): Buffer {
  const table = store.table;
  const withId = (i: number) =>
    plan.structuredIds ? withStructuredId(table.recorded(i), table.id(i)) : table.recorded(i);
  if (plan.resolveLinks && store.isLink(index)) {
    const target = store.resolveLink(index);
    return encodeEventResponse(
      target === undefined ? undefined : withId(target),
      withId(index),
      table.position[index],
    );
  }
  return encodeEventResponse(withId(index), undefined, table.position[index]);
}

async function read(store: EventStore, plan: ReadPlan, writer: CallWriter): Promise<void> {
  const { target } = plan;
  let indexes: Iterable<number>;
  if (target.kind === 'stream') {
    const result = store.readStream(target.name, plan.direction, target.from, plan.count);
    if (result.kind === 'deleted') return writer.fail(streamDeletedError(target.name));
    if (result.kind === 'not_found') {
      await writer.write(encodeStreamNotFound(target.name));
      return writer.end();
    }
    indexes = result.indexes;
  } else {
    indexes = store.readAll(plan.direction, target.from, plan.count, plan.filter);
  }
  for (const index of indexes) {
    if (!(await writer.write(eventResponse(store, plan, index)))) return;
  }
  writer.end();
}

// One cursor per subscriber over the committed log: catch-up and live delivery are the same loop,
// so the switch-over can neither skip nor repeat an event, and a slow reader only delays itself.
async function subscribe(store: EventStore, plan: ReadPlan, writer: CallWriter): Promise<void> {
  let wake: (() => void) | undefined;
  const stopListening = store.onCommit(() => {
    const resume = wake;
    wake = undefined;
    resume?.();
  });
  writer.onCancel(() => {
    const resume = wake;
    wake = undefined;
    resume?.();
  });
  try {
    if (!(await writer.write(encodeConfirmation(store.newSubscriptionId())))) return;
    if (plan.target.kind === 'stream')
      await followStream(store, plan, plan.target, writer, () => new Promise((r) => (wake = r)));
    else await followAll(store, plan, plan.target, writer, () => new Promise((r) => (wake = r)));
  } finally {
    stopListening();
  }
}

async function followStream(
  store: EventStore,
  plan: ReadPlan,
  target: { name: string; from: 'start' | 'end' | bigint },
  writer: CallWriter,
  nextCommit: () => Promise<void>,
): Promise<void> {
  const visibleCount = (revisions: readonly number[]) => {
    let n = revisions.length;
    while (n > 0 && revisions[n - 1] >= store.committed) n--;
    return n;
  };
  const initial = store.streamState(target.name);
  let next: number;
  if (target.from === 'start') next = 0;
  else if (target.from === 'end') next = initial ? visibleCount(initial.revisions) : 0;
  else
    next =
      target.from >= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number.MAX_SAFE_INTEGER
        : Number(target.from) + 1;
  let caughtUp = false;
  while (!writer.cancelled) {
    const state = store.streamState(target.name);
    if (state && state.tombstone >= 0 && state.tombstone < store.committed) {
      return writer.fail(streamDeletedError(target.name));
    }
    if (state) {
      const end = visibleCount(state.revisions);
      // Catching up reads storage, so stream metadata applies as it does to reads ($tb,
      // $maxCount, $maxAge, soft delete); live events are delivered as they are written.
      const window = caughtUp ? undefined : store.readableWindow(target.name, end);
      if (window) next = Math.max(next, window.minRevision);
      while (next < end) {
        const index = state.revisions[next++];
        if (window && store.table.created[index] < window.oldestMs) continue;
        if (!(await writer.write(eventResponse(store, plan, index)))) return;
      }
    }
    if (!caughtUp) {
      caughtUp = true;
      if (!(await writer.write(encodeCaughtUp()))) return;
      continue;
    }
    const after = nextCommit();
    if (!stateChangedSince(store, target.name, next)) await after;
  }
}

function stateChangedSince(store: EventStore, streamName: string, next: number): boolean {
  const state = store.streamState(streamName);
  if (!state) return false;
  if (state.tombstone >= 0 && state.tombstone < store.committed) return true;
  return next < state.revisions.length && state.revisions[next] < store.committed;
}

async function followAll(
  store: EventStore,
  plan: ReadPlan,
  target: { from: 'start' | 'end' | number },
  writer: CallWriter,
  nextCommit: () => Promise<void>,
): Promise<void> {
  const table = store.table;
  const names = (kind: 'stream' | 'type', no: number) => store.name(kind, no);
  let next =
    target.from === 'start'
      ? 0
      : target.from === 'end'
        ? store.committed
        : store.firstIndexAfter(target.from);
  let scanned = 0;
  let caughtUp = false;
  while (!writer.cancelled) {
    while (next < store.committed) {
      const index = next++;
      const matches =
        !plan.filter || plan.filter.matches(table.stream[index], table.type[index], names);
      if (matches && !(await writer.write(eventResponse(store, plan, index)))) return;
      if (plan.checkpointInterval > 0 && ++scanned % plan.checkpointInterval === 0) {
        if (!(await writer.write(encodeCheckpoint(table.position[index])))) return;
      }
    }
    if (!caughtUp) {
      caughtUp = true;
      if (!(await writer.write(encodeCaughtUp()))) return;
      continue;
    }
    const after = nextCommit();
    if (next >= store.committed) await after;
  }
}

// Writes that honour the call's flow control: once MAX_QUEUED_MESSAGES are buffered on the call,
// the reader is parked until 'drain'. The bound is well above the stream's default high-water
// mark of 16 messages so the HTTP/2 pipe stays full, and still caps a stalled reader's memory.
class CallWriter {
  cancelled = false;
  private finished = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly cancelListeners: (() => void)[] = [];

  constructor(private readonly call: ReadCall) {
    const stop = () => {
      this.cancelled = true;
      for (const listener of this.cancelListeners.splice(0)) listener();
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    call.on('error', stop);
  }

  // A read or subscription still running at its deadline ends with DeadlineExceeded.
  expireAt(deadline: number): void {
    if (deadline === Infinity) return;
    this.deadlineTimer = setTimeout(
      () => this.fail(deadlineExceededError()),
      deadline - Date.now(),
    );
    this.onCancel(() => clearTimeout(this.deadlineTimer));
  }

  onCancel(listener: () => void): void {
    if (this.cancelled) listener();
    else this.cancelListeners.push(listener);
  }

  async write(message: Buffer): Promise<boolean> {
    if (this.cancelled || this.finished) return false;
    this.call.write(message);
    if (this.call.writableLength < MAX_QUEUED_MESSAGES) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.call.removeListener('drain', done);
        resolve();
      };
      this.call.once('drain', done);
      this.onCancel(done);
    });
    return !this.cancelled;
  }

  end(): void {
    if (this.finished || this.cancelled) return;
    this.finished = true;
    clearTimeout(this.deadlineTimer);
    this.call.end();
  }

  fail(error: unknown): void {
    if (this.finished || this.cancelled) return;
    this.finished = true;
    // Whatever waits on the call (a parked write, a subscription between commits) stops now.
    this.cancelled = true;
    for (const listener of this.cancelListeners.splice(0)) listener();
    const serviceError =
      typeof error === 'object' && error !== null && 'code' in error
        ? error
        : grpcError(status.INTERNAL, `read failed: ${(error as Error)?.message ?? String(error)}`);
    this.call.emit('error', serviceError);
  }
}
