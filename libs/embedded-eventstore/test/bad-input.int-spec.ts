import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  binaryEvent,
  type EventStoreDBClient,
  jsonEvent,
  MaxAppendSizeExceededError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  ReadReq,
  ReadResp,
} from '@eventstore/db-client/generated/streams_pb';
import { start } from '@app/embedded-eventstore';
import {
  collect,
  connect,
  eventStoreUrl,
  readAllRequest,
  testEvents,
  uniqueStream,
} from './conformance.helpers';

// Raw gRPC access for what the official client never sends: garbage bytes, missing fields. It
// connects as the official client does: TLS with the CA file and the user of the connection string.
function rawClient(url = eventStoreUrl()): Client {
  const parsed = new URL(url.replace(/^esdb:/, 'http:'));
  if (parsed.searchParams.get('tls') === 'false')
    return new Client(parsed.host, credentials.createInsecure());
  const caFile = parsed.searchParams.get('tlsCAFile');
  const basic = Buffer.from(
    `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`,
  ).toString('base64');
  const user = credentials.createFromMetadataGenerator((_params, callback) => {
    const metadata = new Metadata();
    metadata.add('authorization', `Basic ${basic}`);
    callback(null, metadata);
  });
  return new Client(
    parsed.host,
    credentials.combineChannelCredentials(
      credentials.createSsl(caFile ? readFileSync(caFile) : undefined),
      user,
    ),
  );
}

const serialize = (message: { serializeBinary(): Uint8Array }) =>
  Buffer.from(message.serializeBinary());
const raw = (bytes: Buffer) => bytes;

function unary<Res>(
  client: Client,
  path: string,
  request: Buffer,
  deserialize: (bytes: Buffer) => Res,
): Promise<{ error?: ServiceError; response?: Res }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, raw, deserialize, request, (error, response) =>
      resolve({ error: error ?? undefined, response }),
    );
  });
}

function clientStream<Res>(
  client: Client,
  path: string,
  messages: Buffer[],
  deserialize: (bytes: Buffer) => Res,
): Promise<{ error?: ServiceError; response?: Res }> {
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest(
      path,
      raw,
      deserialize,
      new Metadata(),
      (error, response) => resolve({ error: error ?? undefined, response }),
    );
    call.on('error', () => undefined);
    for (const message of messages) call.write(message);
    call.end();
  });
}

function serverStream(
  client: Client,
  request: Buffer,
): Promise<{ error?: ServiceError; messages: ReadResp[] }> {
  return new Promise((resolve) => {
    const messages: ReadResp[] = [];
    const call = client.makeServerStreamRequest(
      '/event_store.client.streams.Streams/Read',
      raw,
      (bytes: Buffer) => ReadResp.deserializeBinary(bytes),
      request,
    );
    call.on('data', (message: ReadResp) => messages.push(message));
    call.on('error', (error: ServiceError) => resolve({ error, messages }));
    call.on('end', () => resolve({ messages }));
  });
}

function identifier(stream: string): StreamIdentifier {
  const id = new StreamIdentifier();
  id.setStreamName(Buffer.from(stream));
  return id;
}

function appendOptions(stream: string): Buffer {
  const options = new AppendReq.Options();
  options.setStreamIdentifier(identifier(stream));
  options.setAny(new Empty());
  const request = new AppendReq();
  request.setOptions(options);
  return serialize(request);
}

function proposed(id: string, metadata: Record<string, string>): Buffer {
  const message = new AppendReq.ProposedMessage();
  const uuid = new UUID();
  uuid.setString(id);
  message.setId(uuid);
  for (const [key, value] of Object.entries(metadata)) message.getMetadataMap().set(key, value);
  message.setData(Buffer.from('{}'));
  const request = new AppendReq();
  request.setProposedMessage(message);
  return serialize(request);
}

describe('bad input', () => {
  let client: EventStoreDBClient;
  let grpc: Client;

  beforeAll(() => {
    client = connect();
    grpc = rawClient();
  });
  afterAll(async () => {
    grpc.close();
    await client.dispose();
  });

  async function stillServes(): Promise<void> {
    const stream = uniqueStream('alive');
    await client.appendToStream(stream, testEvents(1));
    expect(await collect(client.readStream(stream))).toHaveLength(1);
  }

  it('answers garbage bytes on every streams method with an error status and keeps serving', async () => {
    const garbage = randomBytes(64);
    garbage[0] = 0xff;
    const read = await serverStream(grpc, garbage);
    expect(read.error?.code).toBeDefined();
    const append = await clientStream(
      grpc,
      '/event_store.client.streams.Streams/Append',
      [garbage],
      AppendResp.deserializeBinary,
    );
    expect(append.error?.code).toBeDefined();
    const del = await unary(grpc, '/event_store.client.streams.Streams/Delete', garbage, (b) => b);
    expect(del.error?.code).toBeDefined();
    await stillServes();
  });

  it('answers a read without options as an invalid argument', async () => {
    const result = await serverStream(grpc, Buffer.alloc(0));
    expect(result.error?.code).toBe(status.INVALID_ARGUMENT);
    await stillServes();
  });

  it('answers an append without options as an invalid argument and stores nothing', async () => {
    const stream = uniqueStream('raw-no-options');
    const result = await clientStream(
      grpc,
      '/event_store.client.streams.Streams/Append',
      [proposed(randomUUID(), { type: 'T', 'content-type': 'application/json' })],
      AppendResp.deserializeBinary,
    );
    expect(result.error?.code).toBe(status.INVALID_ARGUMENT);
    await expect(collect(client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('refuses an event id that is not a UUID and stores nothing', async () => {
    const stream = uniqueStream('raw-bad-id');
    const result = await clientStream(
      grpc,
      '/event_store.client.streams.Streams/Append',
      [
        appendOptions(stream),
        proposed('not-a-uuid', { type: 'T', 'content-type': 'application/json' }),
      ],
      AppendResp.deserializeBinary,
    );
    expect(result.error?.code).toBe(status.INVALID_ARGUMENT);
    await expect(collect(client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('refuses an event without type or content-type metadata, naming the missing properties', async () => {
    const stream = uniqueStream('raw-no-type');
    const result = await clientStream(
      grpc,
      '/event_store.client.streams.Streams/Append',
      [appendOptions(stream), proposed(randomUUID(), { 'content-type': 'application/json' })],
      AppendResp.deserializeBinary,
    );
    expect(result.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(result.error?.metadata.get('exception')).toEqual(['missing-required-metadata-property']);
    expect(String(result.error?.metadata.get('required-metadata-properties')[0])).toContain('type');
  });

  it('answers a batch whose first message has no options with an error for that batch only', async () => {
    const call = grpc.makeBidiStreamRequest(
      '/event_store.client.streams.Streams/BatchAppend',
      raw,
      (bytes: Buffer) => BatchAppendResp.deserializeBinary(bytes),
    );
    const request = new BatchAppendReq();
    const correlation = new UUID();
    correlation.setString(randomUUID());
    request.setCorrelationId(correlation);
    request.setIsFinal(true);
    const response = await new Promise<BatchAppendResp>((resolve, reject) => {
      call.on('data', resolve);
      call.on('error', reject);
      call.write(serialize(request));
    });
    call.end();
    expect(response.getCorrelationId()?.getString()).toBe(correlation.getString());
    expect(response.hasError()).toBe(true);
    expect(response.getError()!.getDetails()!.getTypeName()).toBe('event_store.client.BadRequest');
    await stillServes();
  });

  it('refuses a negative expected revision without storing anything', async () => {
    const stream = uniqueStream('negative-revision');
    await expect(
      client.appendToStream(stream, testEvents(1), { expectedRevision: -5n }),
    ).rejects.toThrow();
    await expect(collect(client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('refuses an expected revision far beyond the stream with the actual revision', async () => {
    const stream = uniqueStream('huge-revision');
    await client.appendToStream(stream, testEvents(1));
    const failure = await client
      .appendToStream(stream, testEvents(1), { expectedRevision: 2n ** 62n })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WrongExpectedVersionError);
    expect((failure as WrongExpectedVersionError).actualVersion).toBe(0n);
  });

  it('refuses a single 5 MiB event with the max-append-size error', async () => {
    const stream = uniqueStream('huge-event');
    const failure = await client
      .appendToStream(stream, binaryEvent({ type: 'Huge', data: new Uint8Array(5 * 1024 * 1024) }))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MaxAppendSizeExceededError);
    await expect(collect(client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('refuses to delete an unknown stream at an exact revision', async () => {
    await expect(
      client.deleteStream(uniqueStream('unknown'), { expectedRevision: 3n }),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });

  it('applies a server-side event type filter to a raw $all read, and refuses an invalid regex', async () => {
    const stream = uniqueStream('raw-filter');
    const type = `Filtered${randomUUID().slice(0, 8)}`;
    await client.appendToStream(stream, [
      jsonEvent({ type, data: {} }),
      jsonEvent({ type: 'Other', data: {} }),
      jsonEvent({ type, data: {} }),
    ]);
    const filtered = await serverStream(
      grpc,
      readAllRequest((options) => {
        const expression = new ReadReq.Options.FilterOptions.Expression();
        expression.setPrefixList([type]);
        const filter = new ReadReq.Options.FilterOptions();
        filter.setEventType(expression);
        filter.setCount(new Empty());
        filter.setCheckpointintervalmultiplier(1);
        options.setFilter(filter);
      }),
    );
    expect(filtered.error).toBeUndefined();
    const events = filtered.messages
      .filter((m) => m.hasEvent())
      .map((m) => m.getEvent()!.getEvent()!);
    expect(events.map((e) => e.getMetadataMap().get('type'))).toEqual([type, type]);

    const invalid = await serverStream(
      grpc,
      readAllRequest((options) => {
        const expression = new ReadReq.Options.FilterOptions.Expression();
        expression.setRegex('(unclosed');
        const filter = new ReadReq.Options.FilterOptions();
        filter.setStreamIdentifier(expression);
        filter.setCount(new Empty());
        filter.setCheckpointintervalmultiplier(1);
        options.setFilter(filter);
      }),
    );
    expect(invalid.error?.code).toBe(status.INVALID_ARGUMENT);
  });

  it('returns structured UUIDs when asked for them', async () => {
    const stream = uniqueStream('raw-structured');
    const id = randomUUID();
    await client.appendToStream(stream, jsonEvent({ id, type: 'T', data: {} }));
    const options = new ReadReq.Options();
    const streamOptions = new ReadReq.Options.StreamOptions();
    streamOptions.setStreamIdentifier(identifier(stream));
    streamOptions.setStart(new Empty());
    options.setStream(streamOptions);
    options.setCount('10');
    options.setReadDirection(ReadReq.Options.ReadDirection.FORWARDS);
    const uuidOption = new ReadReq.Options.UUIDOption();
    uuidOption.setStructured(new Empty());
    options.setUuidOption(uuidOption);
    options.setNoFilter(new Empty());
    const request = new ReadReq();
    request.setOptions(options);
    const result = await serverStream(grpc, serialize(request));
    const structured = result.messages
      .find((m) => m.hasEvent())!
      .getEvent()!
      .getEvent()!
      .getId()!
      .getStructured()!;
    const hex = [structured.getMostSignificantBits(), structured.getLeastSignificantBits()]
      .map((part) => BigInt.asUintN(64, BigInt(part)).toString(16).padStart(16, '0'))
      .join('');
    expect(hex).toBe(id.replace(/-/g, ''));
  });

  it('answers methods it does not implement with UNIMPLEMENTED', async () => {
    const result = await unary(
      grpc,
      '/event_store.client.operations.Operations/StartScavenge',
      Buffer.alloc(0),
      (b) => b,
    );
    expect(result.error?.code).toBe(status.UNIMPLEMENTED);
  });

  it('refuses a persistent subscription request without options with INVALID_ARGUMENT', async () => {
    const result = await unary(
      grpc,
      '/event_store.client.persistent_subscriptions.PersistentSubscriptions/Delete',
      Buffer.alloc(0),
      (b) => b,
    );
    expect(result.error?.code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('unfinished batches on one BatchAppend call of the embedded server', () => {
  it('are capped: beyond 1024 open correlations a new one is answered with an error', async () => {
    const server = await start({ port: 0, mem: true });
    const grpc = rawClient(server.connectionString);
    try {
      const call = grpc.makeBidiStreamRequest(
        '/event_store.client.streams.Streams/BatchAppend',
        raw,
        (bytes: Buffer) => BatchAppendResp.deserializeBinary(bytes),
      );
      const firstResponse = new Promise<BatchAppendResp>((resolve, reject) => {
        call.on('data', resolve);
        call.on('error', reject);
      });
      const options = new BatchAppendReq.Options();
      options.setStreamIdentifier(identifier(uniqueStream('unfinished')));
      options.setAny(new Empty());
      const ids: string[] = [];
      for (let i = 0; i <= 1024; i++) {
        const request = new BatchAppendReq();
        const correlation = new UUID();
        correlation.setString(randomUUID());
        ids.push(correlation.getString());
        request.setCorrelationId(correlation);
        request.setOptions(options);
        request.setIsFinal(false);
        call.write(serialize(request));
      }
      const response = await firstResponse;
      call.end();
      expect(response.getCorrelationId()!.getString()).toBe(ids[1024]);
      expect(response.getError()!.getMessage()).toMatch(/unfinished batches/);
    } finally {
      grpc.close();
      await server.stop();
    }
  });
});

describe('server features of the embedded server', () => {
  it('lists exactly the implemented methods, BatchAppend included', async () => {
    const server = await start({ port: 0, mem: true });
    const grpc = rawClient(server.connectionString);
    try {
      const { response } = await unary(
        grpc,
        '/event_store.client.server_features.ServerFeatures/GetSupportedMethods',
        serialize(new Empty()),
        (bytes) => SupportedMethods.deserializeBinary(bytes),
      );
      const methods = response!
        .getMethodsList()
        .map((m) => `${m.getServiceName()}/${m.getMethodName()}`);
      const persistent = 'event_store.client.persistent_subscriptions.PersistentSubscriptions';
      // The client takes the gRPC path to $all (and to stream info, list, replay) only for
      // methods advertising these features.
      for (const method of response!.getMethodsList()) {
        if (method.getServiceName() !== persistent || method.getMethodName() === 'RestartSubsystem')
          continue;
        expect(method.getFeaturesList()).toEqual(['stream', 'all']);
      }
      expect(methods.sort()).toEqual(
        [
          ...['Create', 'Update', 'Delete', 'Read', 'GetInfo', 'ReplayParked', 'List'].map(
            (method) => `${persistent}/${method}`,
          ),
          `${persistent}/RestartSubsystem`,
          'event_store.client.server_features.ServerFeatures/GetSupportedMethods',
          'event_store.client.streams.Streams/Append',
          'event_store.client.streams.Streams/BatchAppend',
          'event_store.client.streams.Streams/Delete',
          'event_store.client.streams.Streams/Read',
          'event_store.client.streams.Streams/Tombstone',
        ].sort(),
      );
    } finally {
      grpc.close();
      await server.stop();
    }
  });
});
