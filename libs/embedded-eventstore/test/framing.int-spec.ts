import { connect as http2Connect } from 'node:http2';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { type RunningEventStore, start } from '@app/embedded-eventstore';
import { readAllRequest } from './conformance.helpers';

// How a long read reaches the wire: the same gRPC messages, packed into few HTTP/2 DATA frames rather than one
// frame (and one write, one native call on each side) per event. Counted below the official client, on the raw
// HTTP/2 stream, against an embedded server of its own (a real server frames as it likes).

const EVENTS = 2000;

function grpcFrame(message: Uint8Array): Buffer {
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

/** The DATA chunks the HTTP/2 stream delivered, and the gRPC messages they carried, decoded. */
async function rawRead(
  port: number,
): Promise<{ chunks: number; messages: ReadResp[]; status: string | undefined }> {
  const session = http2Connect(`http://127.0.0.1:${port}`);
  try {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/event_store.client.streams.Streams/Read',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.end(grpcFrame(readAllRequest()));
    const received: Buffer[] = [];
    let status: string | undefined;
    stream.on('trailers', (trailers) => {
      status = String(trailers['grpc-status']);
    });
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => received.push(chunk));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const body = Buffer.concat(received);
    const messages: ReadResp[] = [];
    for (let at = 0; at < body.length;) {
      const length = body.readUInt32BE(at + 1);
      messages.push(ReadResp.deserializeBinary(body.subarray(at + 5, at + 5 + length)));
      at += 5 + length;
    }
    return { chunks: received.length, messages, status };
  } finally {
    session.close();
  }
}

describe('a long read on the wire', () => {
  let server: RunningEventStore;

  beforeAll(async () => {
    server = await start({ port: 0, mem: true, insecure: true, log: () => undefined });
    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      for (let batch = 0; batch < EVENTS / 100; batch += 1) {
        await client.appendToStream(
          `framed-${batch}`,
          Array.from({ length: 100 }, (_, i) =>
            jsonEvent({ type: 'Framed', data: { batch, i, note: 'n'.repeat(60) } }),
          ),
        );
      }
    } finally {
      await client.dispose();
    }
  });
  afterAll(() => server.stop());

  it('carries every event, in order, in far fewer DATA chunks than messages', async () => {
    const { chunks, messages, status } = await rawRead(server.port);
    const streamOf = (e: ReadResp.ReadEvent.RecordedEvent) =>
      Buffer.from(e.getStreamIdentifier()!.getStreamName_asU8()).toString();
    const events = messages
      .filter((m) => m.hasEvent())
      .map((m) => m.getEvent()!.getEvent()!)
      .filter((e) => streamOf(e).startsWith('framed-'));
    expect(events).toHaveLength(EVENTS);
    const order = events.map(
      (e) =>
        JSON.parse(Buffer.from(e.getData_asU8()).toString()) as {
          batch: number;
          i: number;
        },
    );
    expect(order).toEqual(
      Array.from({ length: EVENTS }, (_, k) => ({
        batch: Math.floor(k / 100),
        i: k % 100,
        note: 'n'.repeat(60),
      })),
    );
    // One message per event (plus the system events of the node's start) used to be one chunk each.
    expect(chunks).toBeLessThan(messages.length / 10);
    // And the call still ends after its last message, with OK.
    expect(status).toBe('0');
  });
});
