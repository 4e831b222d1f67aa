import { type Collection, type Filter, type FindOptions, MongoClient } from 'mongodb';
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
  /** Set by `finish`: what a document's final state alone decides. */
  last?: number;
  finished?: number;
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

/** tallyFolder with a `finish` that records the last number and counts its calls in the document. */
function finishingTallyFolder(): DocumentFolder<Tally> {
  return {
    ...tallyFolder(),
    finish: (doc) => {
      doc.last = doc.ns[doc.ns.length - 1];
      doc.finished = (doc.finished ?? 0) + 1;
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

/**
 * The same collection, recording the kind of each operation of each bulk write it passes on, and its look-ups of
 * documents by id (`find`; not a query for any document at all).
 */
function recorded(collection: Collection<Tally>, sent: string[][]): Collection<Tally> {
  const recording = Object.create(collection) as Collection<Tally>;
  recording.bulkWrite = (operations, options) => {
    sent.push(operations.map((op) => Object.keys(op)[0]));
    return collection.bulkWrite(operations, options);
  };
  recording.find = ((filter: Filter<Tally>, options?: FindOptions) => {
    if (filter._id !== undefined) sent.push(['find']);
    return collection.find(filter, options);
  }) as Collection<Tally>['find'];
  return recording;
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
    const sut = new DocumentBuffer(tallyFolder(), { maxDocuments: 10 });
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

  it('finishes each changed document once per flush, after its last event, however many events changed it', async () => {
    const { buffered } = collections();
    const events = log(60, 3);
    const sut = new DocumentBuffer(finishingTallyFolder());
    for (const batch of batchesOf(events.slice(0, 30), 10)) await sut.fold(buffered, batch);
    await sut.flush(buffered);
    expect(
      (await contents(buffered)).map(({ _id, events: n, last, finished }) => ({
        _id,
        n,
        last,
        finished,
      })),
    ).toEqual([
      { _id: 's-0', n: 10, last: 27, finished: 1 },
      { _id: 's-1', n: 10, last: 28, finished: 1 },
      { _id: 's-2', n: 10, last: 29, finished: 1 },
    ]);
    // Only s-1 changes before the next flush: it alone is finished again.
    await sut.fold(buffered, events.slice(31, 32));
    await sut.flush(buffered);
    expect((await contents(buffered)).map(({ last, finished }) => ({ last, finished }))).toEqual([
      { last: 27, finished: 1 },
      { last: 31, finished: 2 },
      { last: 29, finished: 1 },
    ]);
  });

  it('finishes the documents of a batch folded straight into a collection once each', async () => {
    const { perBatch } = collections();
    await foldIntoCollection(perBatch, log(40, 4), finishingTallyFolder());
    expect((await contents(perBatch)).map(({ last, finished }) => ({ last, finished }))).toEqual([
      { last: 36, finished: 1 },
      { last: 37, finished: 1 },
      { last: 38, finished: 1 },
      { last: 39, finished: 1 },
    ]);
  });

  it('inserts what it found missing and has not written yet, and replaces the rest guarded', async () => {
    const { buffered } = collections();
    const sent: string[][] = [];
    const recording = recorded(buffered, sent);
    const events = log(40, 4);
    await buffered.insertOne({ _id: 's-3', position: 0, events: 0, ns: [] });
    const sut = new DocumentBuffer(tallyFolder());
    await sut.fold(recording, events.slice(0, 20));
    await sut.flush(recording);
    await sut.fold(recording, events.slice(20));
    await sut.flush(recording);
    expect(sent).toEqual([
      ['find'],
      ['insertOne', 'insertOne', 'insertOne', 'replaceOne'],
      ['replaceOne', 'replaceOne', 'replaceOne', 'replaceOne'],
    ]);
    expect((await contents(buffered)).map((d) => d.events)).toEqual([10, 10, 10, 10]);
    // Not the only writer (one batch folded straight in): nothing is assumed missing.
    const { perBatch } = collections();
    await foldIntoCollection(recorded(perBatch, sent), events, tallyFolder());
    expect(sent.slice(3)).toEqual([
      ['find'],
      ['replaceOne', 'replaceOne', 'replaceOne', 'replaceOne'],
    ]);
  });

  it('looks nothing up in a collection it found empty, until it forgets what it wrote', async () => {
    const { buffered, perBatch } = collections();
    const sent: string[][] = [];
    const events = log(60, 20);
    // At most 10 documents kept past a flush: the second half is looked up again.
    const sut = new DocumentBuffer(tallyFolder(), { maxDocuments: 10 });
    await sut.fold(recorded(buffered, sent), events.slice(0, 30));
    await sut.flush(recorded(buffered, sent));
    await sut.fold(recorded(buffered, sent), events.slice(30));
    await sut.flush(recorded(buffered, sent));
    expect(sent).toEqual([Array(20).fill('insertOne'), ['find'], Array(20).fill('replaceOne')]);
    await foldIntoCollection(perBatch, events, tallyFolder());
    expect(await contents(buffered)).toEqual(await contents(perBatch));
    // A collection that holds documents already: the missing ones are looked up.
    sent.length = 0;
    const again = new DocumentBuffer(tallyFolder());
    await again.fold(recorded(buffered, sent), log(80, 20).slice(60));
    await again.flush(recorded(buffered, sent));
    expect(sent).toEqual([['find'], Array(20).fill('replaceOne')]);
    expect((await contents(buffered)).map((d) => d.events)).toEqual(Array(20).fill(4));
  });

  it('writes a large flush in slices of 1 000, every document once', async () => {
    const { buffered, perBatch } = collections();
    const sent: string[][] = [];
    const events = log(2500, 2500);
    const sut = new DocumentBuffer(tallyFolder());
    await sut.fold(buffered, events);
    expect(await sut.flush(recorded(buffered, sent))).toBe(2500);
    expect(sent.map((ops) => ops.length).sort()).toEqual([1000, 1000, 500]);
    await foldIntoCollection(perBatch, events, tallyFolder());
    expect(await contents(buffered)).toEqual(await contents(perBatch));
  });

  it('writes an insert that finds its document there after all guarded, and sends no deletion of a missing one', async () => {
    const { buffered } = collections();
    const sent: string[][] = [];
    // Deletes what it folds once the count reaches 3 (a document that ends up missing).
    const deleting: DocumentFolder<Tally> = {
      keys: (event) => [event.streamId],
      apply: (current, event, key) => {
        const events = (current?.events ?? 0) + 1;
        return events >= 3 ? null : { _id: key, position: 0, events, ns: [event.data.n as number] };
      },
    };
    const sut = new DocumentBuffer(deleting);
    await sut.fold(buffered, log(4, 2));
    await sut.fold(
      buffered,
      log(9, 3).filter((e) => e.streamId === 's-2'),
    );
    // Someone wrote s-0 meanwhile, older than what the buffer holds; s-2 (deleted) was never stored.
    await buffered.insertOne({ _id: 's-0', position: 1, events: 99, ns: [] });
    await sut.flush(recorded(buffered, sent));
    expect(sent).toEqual([['insertOne', 'insertOne'], ['replaceOne']]);
    expect((await contents(buffered)).map(({ _id, events }) => ({ _id, events }))).toEqual([
      { _id: 's-0', events: 2 },
      { _id: 's-1', events: 2 },
    ]);
  });
});
