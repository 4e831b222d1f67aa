import { randomBytes } from 'node:crypto';
import {
  binaryEvent,
  DeadlineExceededError,
  type EventStoreDBClient,
  StreamNotFoundError,
} from '@eventstore/db-client';
import { start } from '@app/embedded-eventstore';
import { PowerLossFileSystem } from '@app/embedded-storage';
import {
  APPEND_PATHS,
  appendPaths,
  collect,
  connect,
  delay,
  testEvents,
  uniqueStream,
} from './conformance.helpers';

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => 'succeeded',
    (error: unknown) => error,
  );
}

async function expectNotWritten(client: EventStoreDBClient, stream: string): Promise<void> {
  expect(await failureOf(collect(client.readStream(stream)))).toBeInstanceOf(StreamNotFoundError);
}

describe.each(APPEND_PATHS)('deadlines of appends through %s', (_path, via) => {
  let client: EventStoreDBClient;

  beforeAll(() => {
    client = connect();
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('answers DeadlineExceeded to an append whose deadline passed before it arrived, and writes nothing', async () => {
    const stream = uniqueStream('deadline-expired');
    const failure = await failureOf(
      client.appendToStream(stream, testEvents(3), { ...via, deadline: 1 }),
    );
    expect(failure).toBeInstanceOf(DeadlineExceededError);
    await expectNotWritten(client, stream);
  });

  it('answers DeadlineExceeded, not MaxAppendSizeExceeded, to an oversized append past its deadline', async () => {
    const stream = uniqueStream('deadline-oversized');
    const oversized = binaryEvent({ type: 'Big', data: randomBytes(1024 * 1024 + 1) });
    const failure = await failureOf(
      client.appendToStream(stream, [oversized], { ...via, deadline: 1 }),
    );
    expect(failure).toBeInstanceOf(DeadlineExceededError);
  });

  it('still appends when the deadline leaves time for the write', async () => {
    const stream = uniqueStream('deadline-met');
    const result = await client.appendToStream(stream, testEvents(2), { ...via, deadline: 10_000 });
    expect(result.nextExpectedRevision).toBe(1n);
  });
});

describe('a deadline that passes while the write waits for its fsync', () => {
  it.each(['BatchAppend', 'Append'] as const)(
    'answers DeadlineExceeded through %s once the deadline passes, without waiting for the disk',
    async (path) => {
      const fs = new PowerLossFileSystem();
      const server = await start({
        port: 0,
        dataDir: '/data/eventstore',
        fs,
        insecure: true,
        log: () => undefined,
      });
      const client = connect(server.connectionString);
      const via = Object.fromEntries(appendPaths(server.connectionString))[path];
      try {
        await client.appendToStream('warm-up', testEvents(1), via);
        const release = fs.holdSyncs();
        const began = Date.now();
        const failure = await failureOf(
          client.appendToStream('pending', testEvents(1), { ...via, deadline: 300 }),
        );
        const waited = Date.now() - began;
        expect(failure).toBeInstanceOf(DeadlineExceededError);
        expect(waited).toBeGreaterThanOrEqual(250);
        expect(waited).toBeLessThan(5_000);
        release();
        await delay(50);
      } finally {
        await client.dispose();
        await server.stop();
      }
    },
  );
});
