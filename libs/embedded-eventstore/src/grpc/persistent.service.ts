import {
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServiceError,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Empty, type StreamIdentifier } from '@eventstore/db-client/generated/shared_pb';
import {
  CreateReq,
  CreateResp,
  type DeleteReq,
  DeleteResp,
  type GetInfoReq,
  GetInfoResp,
  type ListReq,
  ListResp,
  ReadReq,
  ReadResp,
  type ReplayParkedReq,
  ReplayParkedResp,
  SubscriptionInfo,
  type UpdateReq,
  UpdateResp,
} from '@eventstore/db-client/generated/persistent_pb';
import { withStructuredId } from '../protocol/read-response.encoder';
import { type FilterSpec, InvalidFilterError } from '../store/event-filter';
import {
  ALL,
  type ConsumerStrategy,
  type GroupSettings,
  InvalidSettings,
  MaximumSubscribersReached,
  type PersistentSubscriptions,
  type StartFrom,
  SubscriptionExists,
  SubscriptionNotFound,
} from '../persistent/persistent-subscriptions';
import { grpcError } from './grpc-errors';
import { BadRequest, streamNameOf, uint64Of, uuidOf } from './request-parsing';

// The PersistentSubscriptions service of persistent.proto over the subsystem in ../persistent.
const UINT64_MAX = '18446744073709551615';
const STRATEGIES: Record<number, ConsumerStrategy> = {
  [CreateReq.ConsumerStrategy.DISPATCHTOSINGLE]: 'DispatchToSingle',
  [CreateReq.ConsumerStrategy.ROUNDROBIN]: 'RoundRobin',
  [CreateReq.ConsumerStrategy.PINNED]: 'Pinned',
};
const NACK_ACTIONS = {
  [ReadReq.Nack.Action.PARK]: 'park',
  [ReadReq.Nack.Action.RETRY]: 'retry',
  [ReadReq.Nack.Action.SKIP]: 'skip',
  [ReadReq.Nack.Action.STOP]: 'stop',
  // Unknown is handled as the reference server does: the message is retried.
  [ReadReq.Nack.Action.UNKNOWN]: 'retry',
} as const;

function subscriptionError(error: unknown, stream: string, group: string): ServiceError {
  const trailers = { 'stream-name': stream, 'group-name': group };
  if (error instanceof SubscriptionNotFound)
    return grpcError(status.NOT_FOUND, error.message, {
      exception: 'persistent-subscription-does-not-exist',
      ...trailers,
    });
  if (error instanceof SubscriptionExists)
    return grpcError(status.ALREADY_EXISTS, error.message, {
      exception: 'persistent-subscription-exists',
      ...trailers,
    });
  if (error instanceof MaximumSubscribersReached)
    return grpcError(status.FAILED_PRECONDITION, error.message, {
      exception: 'maximum-subscribers-reached',
      ...trailers,
    });
  if (
    error instanceof BadRequest ||
    error instanceof InvalidSettings ||
    error instanceof InvalidFilterError
  )
    return grpcError(status.INVALID_ARGUMENT, error.message);
  return grpcError(
    status.INTERNAL,
    `internal error: ${(error as Error)?.message ?? String(error)}`,
  );
}

interface TargetSource {
  hasAll(): boolean;
  hasStreamIdentifier(): boolean;
  getStreamIdentifier(): StreamIdentifier | undefined;
  getGroupName(): string;
}

function targetOf(options: TargetSource | undefined): { stream: string; group: string } {
  if (!options) throw new BadRequest('the request carried no options');
  const group = options.getGroupName();
  if (!group) throw new BadRequest('a group name is required');
  if (options.hasAll()) return { stream: ALL, group };
  return { stream: streamNameOf(options.getStreamIdentifier()), group };
}

type SettingsMessage = CreateReq.Settings | UpdateReq.Settings;

function settingsOf(settings: SettingsMessage | undefined, startFrom: StartFrom): GroupSettings {
  if (!settings) throw new BadRequest('settings are required');
  const strategy = STRATEGIES[settings.getNamedConsumerStrategy()];
  const named = settings instanceof CreateReq.Settings ? settings.getConsumerStrategy() : '';
  const consumerStrategy = (named || strategy) as ConsumerStrategy;
  if (!['RoundRobin', 'DispatchToSingle', 'Pinned'].includes(consumerStrategy)) {
    throw new InvalidSettings(`unknown consumer strategy ${JSON.stringify(named)}`);
  }
  const ticksToMs = (ticks: string) => Math.floor(Number(ticks) / 10_000);
  const result: GroupSettings = {
    resolveLinks: settings.getResolveLinks(),
    extraStatistics: settings.getExtraStatistics(),
    messageTimeoutMs: settings.hasMessageTimeoutTicks()
      ? ticksToMs(settings.getMessageTimeoutTicks())
      : settings.getMessageTimeoutMs(),
    checkpointAfterMs: settings.hasCheckpointAfterTicks()
      ? ticksToMs(settings.getCheckpointAfterTicks())
      : settings.getCheckpointAfterMs(),
    maxRetryCount: settings.getMaxRetryCount(),
    minCheckpointCount: settings.getMinCheckpointCount(),
    maxCheckpointCount: settings.getMaxCheckpointCount(),
    maxSubscriberCount: settings.getMaxSubscriberCount(),
    liveBufferSize: settings.getLiveBufferSize(),
    readBatchSize: settings.getReadBatchSize(),
    historyBufferSize: settings.getHistoryBufferSize(),
    strategy: consumerStrategy,
    startFrom,
  };
  for (const key of [
    'messageTimeoutMs',
    'checkpointAfterMs',
    'maxRetryCount',
    'minCheckpointCount',
    'maxCheckpointCount',
    'maxSubscriberCount',
    'readBatchSize',
  ] as const) {
    if (!(result[key] >= 0)) throw new InvalidSettings(`${key} must not be negative`);
  }
  // EventStoreDB reads a batch only while more than a batch fits below the history buffer.
  if (result.readBatchSize >= result.historyBufferSize) {
    throw new InvalidSettings('readBatchSize must be less than historyBufferSize');
  }
  if (result.minCheckpointCount > result.maxCheckpointCount) {
    throw new InvalidSettings('the minimum checkpoint count must not exceed the maximum');
  }
  return result;
}

function revisionStart(revision: string): StartFrom {
  if (revision === UINT64_MAX) return 'end';
  const value = uint64Of(revision, 'revision');
  return value === 0n ? 'start' : Number(value);
}

interface AllStartSource {
  hasStart(): boolean;
  hasEnd(): boolean;
  hasPosition(): boolean;
  getPosition(): { getCommitPosition(): string } | undefined;
}

function allStart(options: AllStartSource | undefined): StartFrom {
  if (!options || options.hasStart()) return 'start';
  if (options.hasEnd()) return 'end';
  return Number(uint64Of(options.getPosition()!.getCommitPosition(), 'commit position'));
}

function filterOf(all: CreateReq.AllOptions): FilterSpec | undefined {
  if (!all.hasFilter()) return undefined;
  const filter = all.getFilter()!;
  const on = filter.hasStreamIdentifier() ? 'stream' : filter.hasEventType() ? 'type' : undefined;
  if (!on) throw new BadRequest('a filter must apply to the stream identifier or the event type');
  const expression = on === 'stream' ? filter.getStreamIdentifier()! : filter.getEventType()!;
  return { on, regex: expression.getRegex(), prefixes: expression.getPrefixList() };
}

function streamStartOf(
  options: CreateReq.Options | UpdateReq.Options,
  settings: SettingsMessage | undefined,
): StartFrom {
  const stream = options.getStream();
  if (stream) {
    if (stream.hasStart()) return 'start';
    if (stream.hasEnd()) return 'end';
    if (stream.hasRevision()) return revisionStart(stream.getRevision());
  }
  return revisionStart(settings?.getRevision() || '0');
}

function streamOfOptions(options: CreateReq.Options | UpdateReq.Options): string {
  const stream = options.getStream();
  return streamNameOf(stream ? stream.getStreamIdentifier() : options.getStreamIdentifier());
}

export function persistentHandlers(
  subscriptions: PersistentSubscriptions,
): UntypedServiceImplementation {
  const unary =
    <Req, Resp>(run: (request: Req) => Promise<Resp>, target: (request: Req) => string[]) =>
    (call: ServerUnaryCall<Req, Resp>, callback: sendUnaryData<Resp>) => {
      run(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => {
          let names: string[] = ['', ''];
          try {
            names = target(call.request);
          } catch {
            // The request itself was malformed; the error says so.
          }
          callback(subscriptionError(error, names[0], names[1]));
        },
      );
    };
  const namesOf = (request: { getOptions(): unknown }) => {
    const options = request.getOptions() as CreateReq.Options | undefined;
    if (!options) return ['', ''];
    const identifier = options.hasAll()
      ? undefined
      : (options.getStream?.()?.getStreamIdentifier() ?? options.getStreamIdentifier());
    const stream = options.hasAll()
      ? ALL
      : identifier
        ? Buffer.from(identifier.getStreamName_asU8()).toString('utf8')
        : '';
    return [stream, options.getGroupName()];
  };

  return {
    create: unary(async (request: CreateReq) => {
      const options = request.getOptions();
      if (!options) throw new BadRequest('the request carried no options');
      const group = options.getGroupName();
      if (!group) throw new BadRequest('a group name is required');
      if (options.hasAll()) {
        const all = options.getAll()!;
        await subscriptions.create({
          stream: ALL,
          group,
          filter: filterOf(all),
          settings: settingsOf(options.getSettings(), allStart(all)),
        });
      } else {
        await subscriptions.create({
          stream: streamOfOptions(options),
          group,
          settings: settingsOf(
            options.getSettings(),
            streamStartOf(options, options.getSettings()),
          ),
        });
      }
      return new CreateResp();
    }, namesOf),
    update: unary(async (request: UpdateReq) => {
      const options = request.getOptions();
      if (!options) throw new BadRequest('the request carried no options');
      const group = options.getGroupName();
      if (options.hasAll()) {
        await subscriptions.update({
          stream: ALL,
          group,
          settings: settingsOf(options.getSettings(), allStart(options.getAll())),
        });
      } else {
        await subscriptions.update({
          stream: streamOfOptions(options),
          group,
          settings: settingsOf(
            options.getSettings(),
            streamStartOf(options, options.getSettings()),
          ),
        });
      }
      return new UpdateResp();
    }, namesOf),
    delete: unary(async (request: DeleteReq) => {
      const { stream, group } = targetOf(request.getOptions());
      await subscriptions.delete(stream, group);
      return new DeleteResp();
    }, namesOf),
    getInfo: unary(async (request: GetInfoReq) => {
      const { stream, group } = targetOf(request.getOptions());
      const response = new GetInfoResp();
      response.setSubscriptionInfo(subscriptionInfo(subscriptions, stream, group));
      return Promise.resolve(response);
    }, namesOf),
    replayParked: unary(async (request: ReplayParkedReq) => {
      const options = request.getOptions();
      const { stream, group } = targetOf(options);
      const stopAt = options!.hasStopAt() ? Number(options!.getStopAt()) : undefined;
      await subscriptions.get(stream, group).replayParked(stopAt);
      return new ReplayParkedResp();
    }, namesOf),
    list: unary(
      async (request: ListReq) => {
        const options = request.getOptions();
        let stream: string | undefined;
        if (options?.hasListForStream()) {
          const forStream = options.getListForStream()!;
          stream = forStream.hasAll() ? ALL : streamNameOf(forStream.getStream());
        }
        const groups = subscriptions.list(stream);
        if (stream !== undefined && groups.length === 0) {
          throw new SubscriptionNotFound(`No subscription groups on stream ${stream}.`);
        }
        const response = new ListResp();
        response.setSubscriptionsList(
          groups.map((g) => subscriptionInfo(subscriptions, g.config.stream, g.config.group)),
        );
        return Promise.resolve(response);
      },
      () => ['', ''],
    ),
    restartSubsystem: (_call: ServerUnaryCall<Empty, Empty>, callback: sendUnaryData<Empty>) => {
      subscriptions.restart().then(
        () => callback(null, new Empty()),
        (error: unknown) => callback(subscriptionError(error, '', '')),
      );
    },
    read: (call: ServerDuplexStream<ReadReq, ReadResp>) => handleRead(subscriptions, call),
  };
}

function subscriptionInfo(
  subscriptions: PersistentSubscriptions,
  stream: string,
  groupName: string,
): SubscriptionInfo {
  const group = subscriptions.get(stream, groupName);
  const settings = group.config.settings;
  const state = group.info();
  const info = new SubscriptionInfo();
  info.setEventSource(stream);
  info.setGroupName(groupName);
  info.setStatus(state.status);
  info.setStartFrom(state.startFrom);
  info.setResolveLinkTos(settings.resolveLinks);
  info.setExtraStatistics(settings.extraStatistics);
  info.setMessageTimeoutMilliseconds(settings.messageTimeoutMs);
  info.setMaxRetryCount(settings.maxRetryCount);
  info.setLiveBufferSize(settings.liveBufferSize);
  info.setBufferSize(settings.historyBufferSize);
  info.setReadBatchSize(settings.readBatchSize);
  info.setCheckPointAfterMilliseconds(settings.checkpointAfterMs);
  info.setMinCheckPointCount(settings.minCheckpointCount);
  info.setMaxCheckPointCount(settings.maxCheckpointCount);
  info.setNamedConsumerStrategy(settings.strategy);
  info.setMaxSubscriberCount(settings.maxSubscriberCount);
  info.setLastCheckpointedEventPosition(state.lastCheckpointed);
  info.setLastKnownEventPosition(state.lastKnown);
  info.setTotalItems(String(state.totalItems));
  info.setAveragePerSecond(state.averagePerSecond);
  info.setCountSinceLastMeasurement(String(state.countSinceLastMeasurement));
  info.setReadBufferCount(state.readBufferCount);
  info.setLiveBufferCount(String(state.liveBufferCount));
  info.setRetryBufferCount(state.retryBufferCount);
  info.setTotalInFlightMessages(state.inFlight);
  info.setOutstandingMessagesCount(state.outstanding);
  info.setParkedMessageCount(String(state.parked));
  info.setConnectionsList(
    state.connections.map((c) => {
      const connection = new SubscriptionInfo.ConnectionInfo();
      connection.setFrom(c.from);
      connection.setUsername(c.username);
      connection.setConnectionName(c.connectionName);
      connection.setTotalItems(String(c.totalItems));
      connection.setAverageItemsPerSecond(c.averageItemsPerSecond);
      connection.setCountSinceLastMeasurement(String(c.countSinceLastMeasurement));
      connection.setObservedMeasurementsList(
        c.latency.map(({ key, value }) => {
          const measurement = new SubscriptionInfo.Measurement();
          measurement.setKey(key);
          measurement.setValue(String(value));
          return measurement;
        }),
      );
      connection.setInFlightMessages(c.inFlight);
      connection.setAvailableSlots(c.availableSlots);
      return connection;
    }),
  );
  return info;
}

function handleRead(
  subscriptions: PersistentSubscriptions,
  call: ServerDuplexStream<ReadReq, ReadResp>,
): void {
  let disconnect: (() => void) | undefined;
  let group: ReturnType<PersistentSubscriptions['get']> | undefined;
  let structured = false;
  let finished = false;
  const finish = (error?: ServiceError) => {
    if (finished) return;
    finished = true;
    disconnect?.();
    if (error) call.emit('error', error);
    else call.end();
  };
  call.on('data', (request: ReadReq) => {
    if (finished) return;
    if (!group) {
      let names = { stream: '', group: '' };
      try {
        const options = request.getOptions();
        names = targetOf(options);
        structured = options!.getUuidOption()?.hasStructured() ?? false;
        group = subscriptions.get(names.stream, names.group);
        const bufferSize = options!.getBufferSize();
        if (!(bufferSize > 0)) throw new BadRequest('the buffer size must be greater than 0');
        const confirmation = new ReadResp();
        const confirmed = new ReadResp.SubscriptionConfirmation();
        confirmed.setSubscriptionId(`${names.stream}::${names.group}`);
        confirmation.setSubscriptionConfirmation(confirmed);
        call.write(confirmation);
        const { stream, group: groupName } = names;
        disconnect = group.connect({
          bufferSize,
          connectionName: String(call.metadata.get('connection-name')[0] ?? ''),
          username: 'admin',
          from: call.getPeer(),
          send: (message) => {
            if (finished) return;
            const read = new ReadResp.ReadEvent();
            const recorded = (bytes: Buffer) =>
              ReadResp.ReadEvent.RecordedEvent.deserializeBinary(
                structured ? withStructuredId(bytes, idOf(bytes)) : bytes,
              );
            if (message.event) read.setEvent(recorded(message.event));
            if (message.link) read.setLink(recorded(message.link));
            read.setCommitPosition(String(message.commitPosition));
            read.setRetryCount(message.retryCount);
            const response = new ReadResp();
            response.setEvent(read);
            call.write(response);
          },
          drop: (reason) =>
            finish(
              grpcError(
                reason === 'deleted' ? status.NOT_FOUND : status.CANCELLED,
                reason === 'deleted'
                  ? `Subscription group ${groupName} on stream ${stream} was deleted.`
                  : `Subscription group ${groupName} on stream ${stream} was dropped.`,
                {
                  exception:
                    reason === 'deleted'
                      ? 'persistent-subscription-does-not-exist'
                      : 'persistent-subscription-dropped',
                  'stream-name': stream,
                  'group-name': groupName,
                },
              ),
            ),
        });
      } catch (error) {
        finish(subscriptionError(error, names.stream, names.group));
      }
      return;
    }
    try {
      if (request.hasAck()) {
        group.ack(
          request
            .getAck()!
            .getIdsList()
            .map((id) => uuidOf(id, 'event id')),
        );
      } else if (request.hasNack()) {
        const nack = request.getNack()!;
        const action = NACK_ACTIONS[nack.getAction()] ?? 'retry';
        const ids = nack.getIdsList().map((id) => uuidOf(id, 'event id'));
        void group.nack(ids, action, nack.getReason());
      }
    } catch (error) {
      finish(subscriptionError(error, group.config.stream, group.config.group));
    }
  });
  call.on('end', () => finish());
  call.on('error', () => finish());
  call.on('cancelled', () => finish());
}

function idOf(recorded: Buffer): string {
  const event = ReadResp.ReadEvent.RecordedEvent.deserializeBinary(recorded);
  return event.getId()?.getString() ?? '';
}
