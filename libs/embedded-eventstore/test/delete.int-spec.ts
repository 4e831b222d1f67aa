import {
  type EventStoreDBClient,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { collect, connect, revisions, testEvents, uniqueStream } from './conformance.helpers';

describe('soft delete', () => {
  let client: EventStoreDBClient;

  beforeAll(() => {
    client = connect();
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('makes the stream read as not found and returns the position of the delete', async () => {
    const stream = uniqueStream('soft');
    const appended = await client.appendToStream(stream, testEvents(2));
    const deleted = await client.deleteStream(stream, { expectedRevision: 1n });
    expect(deleted.position!.commit).toBeGreaterThan(appended.position!.commit);
    await expect(collect(client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('lets the stream be written again with revisions continuing and old events gone', async () => {
    const stream = uniqueStream('soft-recreate');
    await client.appendToStream(stream, testEvents(2));
    await client.deleteStream(stream);
    const again = await client.appendToStream(stream, testEvents(3), {
      expectedRevision: 'no_stream',
    });
    expect(again.nextExpectedRevision).toBe(4n);
    expect(revisions(await collect(client.readStream(stream)))).toEqual([2n, 3n, 4n]);
    await expect(
      client.appendToStream(stream, testEvents(1), { expectedRevision: 'no_stream' }),
    ).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });

  it('accepts the last revision as expected revision when writing again', async () => {
    const stream = uniqueStream('soft-exact');
    await client.appendToStream(stream, testEvents(2));
    await client.deleteStream(stream);
    const again = await client.appendToStream(stream, testEvents(1), { expectedRevision: 1n });
    expect(again.nextExpectedRevision).toBe(2n);
  });

  it('keeps custom metadata when the stream is written again, moving truncateBefore', async () => {
    const stream = uniqueStream('soft-meta');
    await client.appendToStream(stream, testEvents(2));
    await client.setStreamMetadata(stream, { owner: 'crm', maxCount: 10 });
    await client.deleteStream(stream);
    await client.appendToStream(stream, testEvents(1));
    expect((await client.getStreamMetadata(stream)).metadata).toEqual({
      owner: 'crm',
      maxCount: 10,
      truncateBefore: 2,
    });
  });

  it('refuses a wrong expected revision and leaves the stream alone', async () => {
    const stream = uniqueStream('soft-wrong');
    await client.appendToStream(stream, testEvents(3));
    const failure = await client
      .deleteStream(stream, { expectedRevision: 0n })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WrongExpectedVersionError);
    expect((failure as WrongExpectedVersionError).actualVersion).toBe(2n);
    expect(await collect(client.readStream(stream))).toHaveLength(3);
  });

  it('succeeds on a stream that does not exist when any revision is expected', async () => {
    await expect(client.deleteStream(uniqueStream('soft-missing'))).resolves.toBeDefined();
  });
});

describe('tombstone (hard delete)', () => {
  let client: EventStoreDBClient;

  beforeAll(() => {
    client = connect();
  });
  afterAll(async () => {
    await client.dispose();
  });

  it('makes the stream gone for good: reads, appends, deletes and tombstones fail as deleted', async () => {
    const stream = uniqueStream('hard');
    await client.appendToStream(stream, testEvents(2));
    const result = await client.tombstoneStream(stream, { expectedRevision: 1n });
    expect(result.position).toBeDefined();
    await expect(collect(client.readStream(stream))).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(client.appendToStream(stream, testEvents(1))).rejects.toBeInstanceOf(
      StreamDeletedError,
    );
    await expect(
      client.appendToStream(stream, testEvents(1), { expectedRevision: 'no_stream' }),
    ).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(client.deleteStream(stream)).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(client.tombstoneStream(stream)).rejects.toBeInstanceOf(StreamDeletedError);
    const failure = await collect(client.readStream(stream)).catch((error: unknown) => error);
    expect((failure as StreamDeletedError).streamName).toBe(stream);
  });

  it('refuses a wrong expected revision and leaves the stream readable', async () => {
    const stream = uniqueStream('hard-wrong');
    await client.appendToStream(stream, testEvents(2));
    await expect(client.tombstoneStream(stream, { expectedRevision: 5n })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    expect(await collect(client.readStream(stream))).toHaveLength(2);
  });

  it('can tombstone a stream that never existed', async () => {
    const stream = uniqueStream('hard-missing');
    await client.tombstoneStream(stream, { expectedRevision: 'no_stream' });
    await expect(client.appendToStream(stream, testEvents(1))).rejects.toBeInstanceOf(
      StreamDeletedError,
    );
  });
});
