import { MongoClient } from 'mongodb';
import { Observable } from 'rxjs';
import { countingProjection, testMetadata, uniqueId, until } from '@app/testing';
import {
  CHECKPOINTS_COLLECTION,
  type EventPosition,
  type ProjectedEvent,
  ProjectionRunner,
  readModelVersions,
  type RebuildSource,
  rebuildProjection,
  versionedName,
} from '@app/read-models';

/** `count` events over a few streams, at increasing positions. */
function log(count: number): ProjectedEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'Touched',
    data: { n: i },
    metadata: testMetadata(`e-${i}`),
    streamId: `s-${i % 7}`,
    revision: Math.floor(i / 7),
    position: { commit: BigInt(1000 + i * 10), prepare: BigInt(1000 + i * 10) },
  }));
}

const after = (events: ProjectedEvent[], position: EventPosition | undefined) =>
  events.filter((event) => !position || event.position.commit > position.commit);

/** A rebuild's source over these events. */
const sourceOf = (events: ProjectedEvent[]): RebuildSource => ({
  readAfter: async function* (position) {
    yield* after(events, position);
  },
  head: async () => events.at(-1)!.position.commit,
});

describe('rebuildProjection', () => {
  let client: MongoClient;
  beforeAll(async () => {
    client = await new MongoClient(process.env.MONGODB_URL!).connect();
  });
  afterAll(() => client.close());

  it('switches as soon as the live projector hands its lease over, without waiting out the lease', async () => {
    const db = client.db(uniqueId('rebuild').replace(/-/g, '_'));
    const events = log(60);
    const projection = countingProjection('counted');
    // A live lease of a minute: waiting it out would take longer than this test may run.
    const live = new ProjectionRunner({
      db,
      owner: 'live-projector',
      leaseMs: 60_000,
      renewEveryMs: 50,
      batchMs: 20,
      projections: [projection],
      source: (position) =>
        new Observable<ProjectedEvent>((subscriber) => {
          for (const event of after(events, position)) subscriber.next(event);
        }),
    });
    await live.start();
    try {
      const checkpoints = db.collection(CHECKPOINTS_COLLECTION);
      await until(
        async () =>
          (await checkpoints.findOne({ _id: 'counted' as never }))?.eventsProjected === 60,
      );
      const result = await rebuildProjection({
        db,
        projection,
        source: sourceOf(events),
      });
      expect(result.switchMs).toBeLessThan(30_000);
      expect(await readModelVersions(db).live('counted')).toBe(2);
      expect(await checkpoints.findOne({ _id: 'counted' as never })).toMatchObject({
        handover: { from: 'live-projector' },
      });
      // The live projector takes the lease back and goes on from the rebuilt position.
      await until(async () => live.progress().held.includes('counted'));
      const counted = await db.collection('counted').find({}).toArray();
      expect(counted.reduce((sum, doc) => sum + (doc.count as number), 0)).toBe(60);
    } finally {
      await live.stop();
      await db.dropDatabase();
    }
  }, 40_000);

  it('starts from an empty copy, whatever an earlier attempt left in it', async () => {
    const db = client.db(uniqueId('rebuild').replace(/-/g, '_'));
    const events = log(60);
    const projection = countingProjection('counted');
    try {
      // What a failed attempt at version 2 could have left: a document past every event, and one of no stream.
      await db
        .collection<{ _id: string; count: number; position: number }>(versionedName('counted', 2))
        .insertMany([
          { _id: 's-0', count: 1000, position: 1_000_000 },
          { _id: 'stray', count: 1, position: 1 },
        ]);
      await rebuildProjection({
        db,
        projection,
        source: sourceOf(events),
      });
      const counted = await db
        .collection('counted')
        .find({}, { sort: { _id: 1 } })
        .toArray();
      expect(counted.map((doc) => [doc._id, doc.count])).toEqual(
        Array.from({ length: 7 }, (_, s) => [`s-${s}`, s < 4 ? 9 : 8]),
      );
    } finally {
      await db.dropDatabase();
    }
  });
});
