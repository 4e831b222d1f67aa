import {
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as ProtobufEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import {
  AllStreamPosition,
  Empty,
  Timeout as TimeoutDetails,
  MaximumAppendSizeExceeded as MaximumAppendSizeExceededDetails,
  StreamDeleted as StreamDeletedDetails,
  StreamIdentifier,
  BadRequest as BadRequestDetails,
  Unknown as UnknownDetails,
  WrongExpectedVersion as WrongExpectedVersionDetails,
  type UUID,
} from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import {
  type AppendReq,
  AppendResp,
  type BatchAppendReq,
  BatchAppendResp,
  type DeleteReq,
  DeleteResp,
  type ReadReq,
  type TombstoneReq,
  TombstoneResp,
} from '@eventstore/db-client/generated/streams_pb';
import {
  type EventStore,
  type ExpectedRevision,
  InvalidEventError,
  MaxAppendSizeExceeded,
  type ProposedEvent,
  StoreUnavailableError,
  type WriteResult,
} from '../store/event-store';
import {
  grpcError,
  invalidArgument,
  maxAppendSizeError,
  requiredMetadataError,
  streamDeletedError,
  wrongExpectedVersionError,
} from './grpc-errors';
import { handleRead } from './read.handler';
import {
  assertBeforeDeadline,
  batchDeadline,
  beforeDeadline,
  callDeadline,
  DeadlineExceeded,
  deadlineExceededError,
} from './deadline';
import type { BatchAppendRequestView } from '../protocol/batch-append-request.decoder';
import {
  BadRequest,
  expectedRevisionOf,
  MissingRequiredMetadata,
  proposedEventOf,
  proposedSize,
  streamNameOf,
  uuidOf,
} from './request-parsing';

// google.rpc.Code values used in BatchAppend error statuses.
const CODE_INVALID_ARGUMENT = 3;
const CODE_DEADLINE_EXCEEDED = 4;
const CODE_FAILED_PRECONDITION = 9;
const CODE_UNAVAILABLE = 14;
// Each unfinished batch holds at most maxAppendSize bytes; this bounds how many one call may open.
const MAX_UNFINISHED_BATCHES = 1024;

export function streamsHandlers(store: EventStore): UntypedServiceImplementation {
  return {
    read: (call: ServerWritableStream<ReadReq, Buffer>) => handleRead(store, call),
    append: (
      call: ServerReadableStream<AppendReq, AppendResp>,
      callback: sendUnaryData<AppendResp>,
    ) => handleAppend(store, call, callback),
    batchAppend: (call: ServerDuplexStream<BatchAppendRequestView, BatchAppendResp>) =>
      handleBatchAppend(store, call),
    delete: (call: ServerUnaryCall<DeleteReq, DeleteResp>, callback: sendUnaryData<DeleteResp>) => {
      void handleDelete(store, call.request, 'delete', callback);
    },
    tombstone: (
      call: ServerUnaryCall<TombstoneReq, TombstoneResp>,
      callback: sendUnaryData<TombstoneResp>,
    ) => {
      void handleDelete(store, call.request, 'tombstone', callback);
    },
  };
}

// Maps failures that are not part of a normal response to the status the client expects.
export function toServiceError(error: unknown): ServiceError {
  if (error instanceof DeadlineExceeded) return deadlineExceededError();
  if (error instanceof BadRequest || error instanceof InvalidEventError)
    return invalidArgument(error.message);
  if (error instanceof MissingRequiredMetadata) return requiredMetadataError();
  if (error instanceof MaxAppendSizeExceeded) return maxAppendSizeError(error.maxAppendSize);
  if (error instanceof StoreUnavailableError) return grpcError(status.UNAVAILABLE, error.message);
  if (typeof error === 'object' && error !== null && 'code' in error && 'metadata' in error) {
    return error as ServiceError;
  }
  return grpcError(
    status.INTERNAL,
    `internal error: ${(error as Error)?.message ?? String(error)}`,
  );
}

function handleAppend(
  store: EventStore,
  call: ServerReadableStream<AppendReq, AppendResp>,
  callback: sendUnaryData<AppendResp>,
): void {
  let options: AppendReq.Options | undefined;
  const deadline = callDeadline(call);
  const events: ProposedEvent[] = [];
  let size = 0;
  let done = false;
  const fail = (error: unknown) => {
    if (done) return;
    done = true;
    callback(toServiceError(error));
  };
  call.on('data', (request: AppendReq) => {
    if (done) return;
    try {
      // An expired deadline is answered before anything else, the size check included.
      assertBeforeDeadline(deadline);
      if (!options) {
        if (!request.hasOptions())
          throw new BadRequest('the first append message must carry options');
        options = request.getOptions()!;
        return;
      }
      if (!request.hasProposedMessage())
        throw new BadRequest('append messages after the first must carry an event');
      const event = proposedEventOf(request.getProposedMessage()!);
      size += proposedSize(event);
      // Like the reference server, refuse as soon as the running total crosses the limit.
      if (size > store.maxAppendSize) throw new MaxAppendSizeExceeded(store.maxAppendSize);
      events.push(event);
    } catch (error) {
      fail(error);
    }
  });
  call.on('error', () => {
    done = true;
  });
  call.on('end', () => {
    if (done) return;
    void (async () => {
      try {
        if (!options) throw new BadRequest('append request carried no options');
        const streamName = streamNameOf(options.getStreamIdentifier());
        const expected = expectedRevisionOf(
          options,
          options.hasRevision() ? () => options!.getRevision() : undefined,
        );
        const result = await beforeDeadline(store.append(streamName, expected, events), deadline);
        if (done) return;
        done = true;
        if (result.kind === 'stream_deleted') return callback(streamDeletedError(streamName));
        callback(null, appendResponse(result, expected));
      } catch (error) {
        fail(error);
      }
    })();
  });
}

function appendResponse(
  result: Exclude<WriteResult, { kind: 'stream_deleted' }>,
  expected: ExpectedRevision,
): AppendResp {
  const response = new AppendResp();
  if (result.kind === 'success') {
    const success = new AppendResp.Success();
    if (result.revision === undefined) success.setNoStream(new Empty());
    else success.setCurrentRevision(String(result.revision));
    if (result.position === undefined) success.setNoPosition(new Empty());
    else {
      const position = new AppendResp.Position();
      position.setCommitPosition(String(result.position));
      position.setPreparePosition(String(result.position));
      success.setPosition(position);
    }
    response.setSuccess(success);
    return response;
  }
  const wrong = new AppendResp.WrongExpectedVersion();
  if (result.current === undefined) wrong.setCurrentNoStream(new Empty());
  else wrong.setCurrentRevision(String(result.current));
  if (expected === 'any') wrong.setExpectedAny(new Empty());
  else if (expected === 'no_stream') wrong.setExpectedNoStream(new Empty());
  else if (expected === 'stream_exists') wrong.setExpectedStreamExists(new Empty());
  else wrong.setExpectedRevision(expected.toString(10));
  response.setWrongExpectedVersion(wrong);
  return response;
}

interface PendingBatch {
  correlationId: UUID;
  deadline: number;
  options: BatchAppendReq.Options;
  events: ProposedEvent[];
  size: number;
  failure?: unknown;
}

function handleBatchAppend(
  store: EventStore,
  call: ServerDuplexStream<BatchAppendRequestView, BatchAppendResp>,
): void {
  const pending = new Map<string, PendingBatch>();
  let inFlight = 0;
  let ended = false;
  let closed = false;
  const finishIfIdle = () => {
    if (ended && inFlight === 0 && !closed) {
      closed = true;
      call.end();
    }
  };
  const respond = (response: BatchAppendResp) => {
    if (closed || call.cancelled) return;
    try {
      call.write(response);
    } catch {
      // The peer went away between the check and the write: nobody is left to answer.
      closed = true;
    }
  };
  call.on('data', (request: BatchAppendRequestView) => {
    let key: string;
    try {
      key = uuidOf(request.getCorrelationId(), 'correlation_id');
    } catch (error) {
      // Without a correlation id no answer can be routed back: the call itself is invalid.
      closed = true;
      call.emit('error', toServiceError(error));
      return;
    }
    let batch = pending.get(key);
    if (!batch && pending.size >= MAX_UNFINISHED_BATCHES) {
      const failure = new BadRequest(
        `more than ${MAX_UNFINISHED_BATCHES} unfinished batches on one call`,
      );
      respond(batchErrorResponse(request.getCorrelationId()!, request.getOptions(), failure));
      return;
    }
    if (!batch) {
      const options = request.getOptions();
      if (!options) {
        respond(
          batchErrorResponse(
            request.getCorrelationId()!,
            undefined,
            new BadRequest('the first message of a batch must carry options'),
          ),
        );
        return;
      }
      batch = {
        correlationId: request.getCorrelationId()!,
        deadline: Math.min(batchDeadline(options), callDeadline(call)),
        options,
        events: [],
        size: 0,
      };
      pending.set(key, batch);
    }
    if (batch.failure === undefined) {
      try {
        // An expired deadline is answered before anything else, the size check included.
        assertBeforeDeadline(batch.deadline);
        for (const message of request.getProposedMessagesList()) {
          const event = proposedEventOf(message);
          batch.size += proposedSize(event);
          if (batch.size > store.maxAppendSize)
            throw new MaxAppendSizeExceeded(store.maxAppendSize);
          batch.events.push(event);
        }
      } catch (error) {
        batch.failure = error;
        batch.events = [];
      }
    }
    if (!request.getIsFinal()) return;
    pending.delete(key);
    inFlight++;
    const finished = batch;
    void processBatch(store, finished)
      .then(respond)
      .finally(() => {
        inFlight--;
        finishIfIdle();
      });
  });
  call.on('end', () => {
    ended = true;
    finishIfIdle();
  });
  call.on('error', () => {
    closed = true;
  });
}

async function processBatch(store: EventStore, batch: PendingBatch): Promise<BatchAppendResp> {
  const options = batch.options;
  let streamName: string | undefined;
  try {
    if (batch.failure !== undefined)
      return batchErrorResponse(batch.correlationId, options, batch.failure);
    streamName = streamNameOf(options.getStreamIdentifier());
    const expected = expectedRevisionOf(
      options,
      options.hasStreamPosition() ? () => options.getStreamPosition() : undefined,
    );
    const result = await beforeDeadline(
      store.append(streamName, expected, batch.events),
      batch.deadline,
    );
    if (result.kind !== 'success')
      return batchErrorResponse(batch.correlationId, options, result, expected);
    const response = batchResponse(batch.correlationId, options);
    const success = new BatchAppendResp.Success();
    if (result.revision === undefined) success.setNoStream(new ProtobufEmpty());
    else success.setCurrentRevision(String(result.revision));
    if (result.position === undefined) success.setNoPosition(new ProtobufEmpty());
    else success.setPosition(allPosition(result.position));
    response.setSuccess(success);
    return response;
  } catch (error) {
    return batchErrorResponse(batch.correlationId, options, error);
  }
}

function batchResponse(
  correlationId: UUID,
  options: BatchAppendReq.Options | undefined,
): BatchAppendResp {
  const response = new BatchAppendResp();
  response.setCorrelationId(correlationId);
  // The client reads the stream name from every error response, so it is always present.
  response.setStreamIdentifier(options?.getStreamIdentifier() ?? new StreamIdentifier());
  if (options?.hasStreamPosition()) response.setStreamPosition(options.getStreamPosition());
  else if (options?.hasNoStream()) response.setNoStream(new ProtobufEmpty());
  else if (options?.hasStreamExists()) response.setStreamExists(new ProtobufEmpty());
  else response.setAny(new ProtobufEmpty());
  return response;
}

function batchErrorResponse(
  correlationId: UUID,
  options: BatchAppendReq.Options | undefined,
  failure: unknown,
  expected?: ExpectedRevision,
): BatchAppendResp {
  const response = batchResponse(correlationId, options);
  const grpcStatus = new Status();
  const details = new Any();
  const result = failure as WriteResult;
  if (
    result &&
    typeof result === 'object' &&
    'kind' in result &&
    result.kind === 'wrong_expected_version'
  ) {
    const wrong = new WrongExpectedVersionDetails();
    if (result.current === undefined) wrong.setCurrentNoStream(new ProtobufEmpty());
    else wrong.setCurrentStreamRevision(String(result.current));
    if (expected === 'any') wrong.setExpectedAny(new ProtobufEmpty());
    else if (expected === 'no_stream') wrong.setExpectedNoStream(new ProtobufEmpty());
    else if (expected === 'stream_exists') wrong.setExpectedStreamExists(new ProtobufEmpty());
    else if (typeof expected === 'bigint') wrong.setExpectedStreamPosition(expected.toString(10));
    grpcStatus.setCode(CODE_FAILED_PRECONDITION);
    grpcStatus.setMessage('Append failed due to WrongExpectedVersion.');
    details.pack(wrong.serializeBinary(), 'event_store.client.WrongExpectedVersion');
  } else if (
    result &&
    typeof result === 'object' &&
    'kind' in result &&
    result.kind === 'stream_deleted'
  ) {
    const deleted = new StreamDeletedDetails();
    deleted.setStreamIdentifier(options?.getStreamIdentifier());
    grpcStatus.setCode(CODE_FAILED_PRECONDITION);
    grpcStatus.setMessage('Stream is deleted.');
    details.pack(deleted.serializeBinary(), 'event_store.client.StreamDeleted');
  } else if (failure instanceof DeadlineExceeded) {
    grpcStatus.setCode(CODE_DEADLINE_EXCEEDED);
    grpcStatus.setMessage(failure.message);
    details.pack(new TimeoutDetails().serializeBinary(), 'event_store.client.Timeout');
  } else if (failure instanceof MaxAppendSizeExceeded) {
    const exceeded = new MaximumAppendSizeExceededDetails();
    exceeded.setMaxappendsize(failure.maxAppendSize);
    grpcStatus.setCode(CODE_INVALID_ARGUMENT);
    grpcStatus.setMessage(failure.message);
    details.pack(exceeded.serializeBinary(), 'event_store.client.MaximumAppendSizeExceeded');
  } else if (
    failure instanceof BadRequest ||
    failure instanceof InvalidEventError ||
    failure instanceof MissingRequiredMetadata
  ) {
    const bad = new BadRequestDetails();
    const message =
      failure instanceof MissingRequiredMetadata
        ? 'events need type and content-type metadata'
        : failure.message;
    bad.setMessage(message);
    grpcStatus.setCode(CODE_INVALID_ARGUMENT);
    grpcStatus.setMessage(message);
    details.pack(bad.serializeBinary(), 'event_store.client.BadRequest');
  } else {
    grpcStatus.setCode(failure instanceof StoreUnavailableError ? CODE_UNAVAILABLE : 13);
    grpcStatus.setMessage((failure as Error)?.message ?? 'unknown failure');
    details.pack(new UnknownDetails().serializeBinary(), 'event_store.client.Unknown');
  }
  grpcStatus.setDetails(details);
  response.setError(grpcStatus);
  return response;
}

function allPosition(position: number): AllStreamPosition {
  const result = new AllStreamPosition();
  result.setCommitPosition(String(position));
  result.setPreparePosition(String(position));
  return result;
}

async function handleDelete(
  store: EventStore,
  request: DeleteReq | TombstoneReq,
  kind: 'delete' | 'tombstone',
  callback: sendUnaryData<DeleteResp> | sendUnaryData<TombstoneResp>,
): Promise<void> {
  try {
    const options = request.getOptions();
    if (!options) throw new BadRequest(`${kind} request carried no options`);
    const streamName = streamNameOf(options.getStreamIdentifier());
    const expected = expectedRevisionOf(
      options,
      options.hasRevision() ? () => options.getRevision() : undefined,
    );
    const result =
      kind === 'delete'
        ? await store.deleteStream(streamName, expected)
        : await store.tombstoneStream(streamName, expected);
    if (result.kind === 'stream_deleted') return callback(streamDeletedError(streamName));
    if (result.kind === 'wrong_expected_version') {
      return callback(wrongExpectedVersionError(streamName, expected, result.current));
    }
    const response = kind === 'delete' ? new DeleteResp() : new TombstoneResp();
    const position = kind === 'delete' ? new DeleteResp.Position() : new TombstoneResp.Position();
    position.setCommitPosition(String(result.position));
    position.setPreparePosition(String(result.position));
    response.setPosition(position);
    (callback as sendUnaryData<DeleteResp | TombstoneResp>)(null, response);
  } catch (error) {
    callback(toServiceError(error));
  }
}
