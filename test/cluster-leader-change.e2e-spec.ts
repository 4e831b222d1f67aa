import { Metadata, Server, ServerCredentials, type ServiceError, status } from '@grpc/grpc-js';
import { EventStoreDBClient } from '@eventstore/db-client';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { CUSTOMER_STREAM_PREFIX } from '@app/domain';
import request from 'supertest';
import { uniqueId } from '@app/testing';
import { type ApiProcess, startApiProcess } from './support/api-process';
import { KEYS, startTestApi, type TestApi } from './support/test-api';

/**
 * A cluster node that is not the leader, as EventStoreDB answers a leader-only call on a follower: NOT_FOUND,
 * "Leader info available", and the `not-leader` exception naming the leader's host and port. Every call of the
 * Streams service gets that answer; the server-features probe is left unimplemented (an older server).
 */
async function startFollower(
  leaderPort: number,
): Promise<{ port: number; calls: () => number; stop(): Promise<void> }> {
  let calls = 0;
  const notLeader = (): ServiceError => {
    calls += 1;
    const metadata = new Metadata();
    metadata.set('exception', 'not-leader');
    metadata.set('leader-endpoint-host', '127.0.0.1');
    metadata.set('leader-endpoint-port', String(leaderPort));
    return Object.assign(new Error('Leader info available'), {
      code: status.NOT_FOUND,
      details: 'Leader info available',
      metadata,
    });
  };
  const server = new Server();
  const handlers = Object.fromEntries(
    Object.entries(StreamsService).map(([name, method]) => [
      name,
      method.responseStream
        ? (call: { emit(event: 'error', error: ServiceError): void }) =>
            call.emit('error', notLeader())
        : (_call: unknown, callback: (error: ServiceError) => void) => callback(notLeader()),
    ]),
  );
  server.addService(StreamsService, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    port,
    calls: () => calls,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

describe('a cluster between leaders: a follower answers not-leader', () => {
  let leader: ApiProcess;
  let leaderUrl: string;
  let follower: Awaited<ReturnType<typeof startFollower>>;
  let api: TestApi;

  beforeAll(async () => {
    // The leader: an embedded event store of its own (plain, as the follower stand-in cannot speak TLS).
    leader = await startApiProcess({}, 'libs/embedded-eventstore/src/cli.ts', '://', [
      '--port',
      '0',
      '--mem',
      '--insecure',
    ]);
    leaderUrl = /(esdb:\/\/127\.0\.0\.1:\d+\?tls=false)/.exec(leader.output.join('\n'))?.[1] ?? '';
    follower = await startFollower(Number(/:(\d+)\?/.exec(leaderUrl)?.[1]));
    // The API knows only the follower, as after an election that moved the leader away from the node it used.
    api = await startTestApi({ EVENTSTORE_URL: `esdb://127.0.0.1:${follower.port}?tls=false` });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await follower?.stop();
    await leader?.stop();
  });

  it('answers 503 STORE_UNAVAILABLE with Retry-After, not 500, and the same request sent again is stored on the leader', async () => {
    const customer = { customerId: uniqueId('leader'), name: 'Ada' };
    const first = await request(api.http)
      .post('/v1/customers')
      .set('Authorization', KEYS.ingest)
      .send(customer);
    expect({ status: first.status, code: first.body.code as unknown }).toEqual({
      status: 503,
      code: 'STORE_UNAVAILABLE',
    });
    expect(Number(first.headers['retry-after'])).toBeGreaterThan(0);
    expect(follower.calls()).toBeGreaterThan(0);

    // The client reconnects to the leader the follower named: the retry reaches it.
    const retry = await request(api.http)
      .post('/v1/customers')
      .set('Authorization', KEYS.ingest)
      .send(customer);
    expect(retry.status).toBe(201);
    const onLeader = EventStoreDBClient.connectionString(leaderUrl);
    try {
      const events = [];
      for await (const event of onLeader.readStream(
        `${CUSTOMER_STREAM_PREFIX}${customer.customerId}`,
      )) {
        events.push(event.event?.type);
      }
      expect(events).toContain('CustomerRegistered');
    } finally {
      await onLeader.dispose();
    }
  }, 60_000);
});
