import { type Collection, MongoClient } from 'mongodb';
import { testMetadata, uniqueId } from '@app/testing';
import {
  DocumentBuffer,
  type DocumentFolder,
  foldIntoCollection,
  type PositionedDocument,
  type ProjectedEvent,
} from '@app/read-models';

interface Tally extends PositionedDocument {
  events: number;
  ns: number[];
}

/** Per stream: how many events, and their numbers. Changes its own documents in place, as folders may. */
function tallyFolder(): DocumentFolder<Tally> {
  const own = new WeakSet<Tally>();
  return {
    keys: (event) => [event.streamId],
    apply: (current, event, key) => {
      const doc =
        current && own.has(current)
          ? current
          : structuredClone(current ?? { _id: key, position: 0, events: 0, ns: [] });
      doc.events += 1;
      doc.ns.push(event.data.n as number);
      own.add(doc);
      return doc;
    },
  };
}

function log(count: number, streams: number): ProjectedEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'Touched',
    data: { n: i },
    metadata: testMetadata(`e-${i}`),
    streamId: `s-${i % streams}`,
    revision: Math.floor(i / streams),
    position: { commit: BigInt(1000 + i * 10), prepare: BigInt(1000 + i * 10) },
  }));
}

const batchesOf = (events: ProjectedEvent[], size: number) =>
  Array.from({ length: Math.ceil(events.length / size) }, (_, i) =>
    events.slice(i * size, (i + 1) * size),
  );

describe(DocumentBuffer.name, () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = await new MongoClient(process.env.MONGODB_URL!).connect();
  });
  afterAll(() => client.close());

  const collections = () => {
    const db = client.db(uniqueId('fold'));
    return {
      buffered: db.collection<Tally>('buffered'),
      perBatch: db.collection<Tally>('per_batch'),
    };
  };
  const contents = (collection: Collection<Tally>) =>
    collection.find({}, { sort: { _id: 1 } }).toArray();

  it('writes nothing before a flush, then each document changed since once, as batch-by-batch folding would', async () => {
    const { buffered, perBatch } = collections();
    const events = log(120, 5);
    const sut = new DocumentBuffer(tallyFolder());
    for (const [i, batch] of batchesOf(events, 10).entries()) {
      await sut.fold(buffered, batch);
      await foldIntoCollection(perBatch, batch, tallyFolder());
      if (i === 0) expect(await buffered.countDocuments()).toBe(0);
      // Halfway: what it wrote is what it holds; the documents it changes in place afterwards are changes too.
      if (i === 5) expect(await sut.flush(buffered)).toBe(5);
    }
    expect(sut.pending).toBe(5);
    expect(await sut.flush(buffered)).toBe(5);
    expect(sut.pending).toBe(0);
    expect(await contents(buffered)).toEqual(await contents(perBatch));
  });

  it('carries on after flushes, also once it forgot what it held, and applies nothing twice', async () => {
    const { buffered, perBatch } = collections();
    const events = log(200, 30);
    // Holds at most 10 documents past a flush: the 30 streams are loaded again from the collection.
    const sut = new DocumentBuffer(tallyFolder(), 10);
    for (const [i, batch] of batchesOf(events, 25).entries()) {
      await sut.fold(buffered, batch);
      if (i % 3 === 2) await sut.flush(buffered);
    }
    await sut.flush(buffered);
    await foldIntoCollection(perBatch, events, tallyFolder());
    expect(await contents(buffered)).toEqual(await contents(perBatch));
    // The same events again, through a fresh buffer: every document is at or past them.
    const again = new DocumentBuffer(tallyFolder());
    await again.fold(buffered, events.slice(50));
    expect(again.pending).toBe(0);
  });
});
