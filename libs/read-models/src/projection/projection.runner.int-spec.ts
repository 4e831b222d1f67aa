import { Observable, ReplaySubject, Subject } from 'rxjs';
import { MongoClient } from 'mongodb';
import { countingProjection, testMetadata, uniqueId, until } from '@app/testing';
import {
  CHECKPOINTS_COLLECTION,
  DEAD_LETTERS_COLLECTION,
  type EventPosition,
  type ProjectedEvent,
  type Projection,
  projectionStatus,
  ProjectionRunner,
  type ProjectionRunnerOptions,
  waitForPosition,
} from '@app/read-models';

let position = 1_000n;
/** Events at increasing positions; `poison` marks one the counting projection cannot handle. */
function events(stream: string, count: number, poison?: number): ProjectedEvent[] {
  return Array.from({ length: count }, (_, revision) => {
    position += 100n;
    return {
      type: revision === 0 ? 'Registered' : 'Touched',
      data: revision === poison ? { poison: true } : { n: revision },
      metadata: testMetadata(`${stream}-${revision}`),
      streamId: stream,
      revision,
      position: { commit: position, prepare: position },
    };
  });
}

/** A source over a fixed log: each opening replays what comes after the position it is given, then stays open. */
function logSource(log: ProjectedEvent[], live?: Subject<ProjectedEvent>) {
  const opened: Array<EventPosition | undefined> = [];
  const source = (after: EventPosition | undefined) => {
    opened.push(after);
    return new Observable<ProjectedEvent>((subscriber) => {
      for (const event of log) {
        if (!after || event.position.commit > after.commit) subscriber.next(event);
      }
      const subscription = live?.subscribe(subscriber);
      return () => subscription?.unsubscribe();
    });
  };
  return { source, opened };
}

describe(ProjectionRunner.name, () => {
  let client: MongoClient;
  const runners: ProjectionRunner[] = [];

  beforeAll(async () => {
    client = await new MongoClient(process.env.MONGODB_URL!).connect();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
  });
  afterAll(async () => {
    await client.close();
  });

  const newDb = () => client.db(uniqueId('runner').replace(/-/g, '_'));
  const run = async (options: ProjectionRunnerOptions) => {
    const runner = new ProjectionRunner({
      batchMs: 20,
      backoff: { minMs: 20, maxMs: 200 },
      ...options,
    });
    runners.push(runner);
    await runner.start();
    return runner;
  };
  const checkpoint = async (db: ReturnType<typeof newDb>, name: string) =>
    db.collection(CHECKPOINTS_COLLECTION).findOne<Record<string, unknown>>({ _id: name as never });
  const counts = (db: ReturnType<typeof newDb>, name: string) =>
    db
      .collection(name)
      .find({}, { sort: { _id: 1 } })
      .toArray();

  it('applies events in batches and moves each checkpoint only after its batch is written', async () => {
    const db = newDb();
    const log = [...events('s-a', 3), ...events('s-b', 2)];
    const batches: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const counting = countingProjection('counts', {
      onApply: (batch) => batches.push(batch.length),
    });
    const slow: Projection = {
      ...counting,
      apply: async (d, batch) => {
        await gate;
        return counting.apply(d, batch);
      },
    };
    await run({ db, projections: [slow], source: logSource(log).source, batchSize: 2 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await checkpoint(db, 'counts'))?.commit).toBeUndefined();
    release();
    await until(
      async () => (await checkpoint(db, 'counts'))?.commit === log[4].position.commit.toString(),
    );
    expect(batches).toEqual([2, 2, 1]);
    expect(await checkpoint(db, 'counts')).toMatchObject({
      prepare: log[4].position.prepare.toString(),
      eventsProjected: 5,
      batches: 3,
      lastBatch: { size: 1, ms: expect.any(Number) },
      state: 'running',
    });
    expect(await counts(db, 'counts')).toEqual([
      {
        _id: 's-a',
        count: 3,
        position: Number(log[2].position.commit),
        types: ['Registered', 'Touched', 'Touched'],
      },
      {
        _id: 's-b',
        count: 2,
        position: Number(log[4].position.commit),
        types: ['Registered', 'Touched'],
      },
    ]);
  });

  it('changes nothing when the same batch is applied twice', async () => {
    const db = newDb();
    const sut = countingProjection('twice');
    const batch = [...events('s-a', 2), ...events('s-b', 1)];
    await sut.apply(db, batch);
    const once = await counts(db, 'twice');
    await sut.apply(db, batch);
    await sut.apply(db, batch.slice(1));
    expect(await counts(db, 'twice')).toEqual(once);
    expect(once.map((doc) => doc.count)).toEqual([2, 1]);
  });

  it('skips what a projection has applied already when the source replays it', async () => {
    const db = newDb();
    const log = events('s-a', 4);
    const first = await run({
      db,
      projections: [countingProjection('replay')],
      source: logSource(log).source,
    });
    await until(async () => (await checkpoint(db, 'replay'))?.eventsProjected === 4);
    await first.stop();
    // A source that starts from the beginning whatever it is asked: the runner still applies nothing twice.
    const applied: number[] = [];
    const projection = countingProjection('replay', {
      onApply: (batch) => applied.push(batch.length),
    });
    const more = events('s-a', 1);
    await run({
      db,
      projections: [projection],
      source: () => logSource([...log, ...more]).source(undefined),
    });
    await until(async () => (await checkpoint(db, 'replay'))?.eventsProjected === 5);
    expect(applied).toEqual([1]);
    expect((await counts(db, 'replay'))[0]).toMatchObject({ count: 5 });
  });

  it('parks an event the projection cannot handle and goes on with the ones after it', async () => {
    const db = newDb();
    const log = [...events('s-a', 3, 1), ...events('s-b', 2)];
    await run({ db, projections: [countingProjection('parks')], source: logSource(log).source });
    await until(
      async () => (await checkpoint(db, 'parks'))?.commit === log[4].position.commit.toString(),
    );
    expect((await counts(db, 'parks')).map((doc) => [doc._id, doc.count])).toEqual([
      ['s-a', 2],
      ['s-b', 2],
    ]);
    const parked = await db.collection(DEAD_LETTERS_COLLECTION).find().toArray();
    expect(parked).toEqual([
      expect.objectContaining({
        projection: 'parks',
        event: {
          type: 'Touched',
          eventId: 's-a-1',
          streamId: 's-a',
          revision: 1,
          commit: log[1].position.commit.toString(),
          prepare: log[1].position.prepare.toString(),
        },
        error: expect.objectContaining({
          message: 'cannot count s-a@1',
          stack: expect.any(String),
        }),
      }),
    ]);
    const [status] = await projectionStatus(db, log[4].position);
    expect(status).toMatchObject({
      name: 'parks',
      deadLetters: 1,
      eventsProjected: 4,
      caughtUp: true,
      lastError: { message: expect.stringContaining('cannot count s-a@1') },
    });
  });

  it('with the stop policy, fails the projection just before the event and writes nothing after it', async () => {
    const db = newDb();
    const log = [...events('s-a', 3, 1), ...events('s-b', 2)];
    await run({
      db,
      projections: [
        countingProjection('stops'),
        countingProjection('healthy', { accept: (event) => event.data.poison !== true }),
      ],
      source: logSource(log).source,
      onError: 'stop',
    });
    await until(async () => (await checkpoint(db, 'healthy'))?.eventsProjected === 5);
    await until(async () => (await checkpoint(db, 'stops'))?.state === 'failed');
    expect(await checkpoint(db, 'stops')).toMatchObject({
      commit: log[0].position.commit.toString(),
      eventsProjected: 1,
      lease: null,
      lastError: { message: expect.stringContaining('cannot count s-a@1') },
    });
    expect((await counts(db, 'stops')).map((doc) => [doc._id, doc.count])).toEqual([['s-a', 1]]);
    expect(await db.collection(DEAD_LETTERS_COLLECTION).countDocuments()).toBe(0);
  });

  it('follows again from the lowest checkpoint when the source drops', async () => {
    const db = newDb();
    const log = events('s-a', 5);
    const opened: Array<EventPosition | undefined> = [];
    let drops = 0;
    const source = (after: EventPosition | undefined) => {
      opened.push(after);
      return new Observable<ProjectedEvent>((subscriber) => {
        const rest = log.filter((event) => !after || event.position.commit > after.commit);
        for (const event of rest.slice(0, 2)) subscriber.next(event);
        if (drops++ === 0) setTimeout(() => subscriber.error(new Error('connection reset')), 100);
        else for (const event of rest.slice(2)) subscriber.next(event);
      });
    };
    await run({ db, projections: [countingProjection('drops')], source });
    await until(async () => (await checkpoint(db, 'drops'))?.eventsProjected === 5);
    expect(opened).toEqual([undefined, log[1].position]);
    expect((await counts(db, 'drops'))[0]).toMatchObject({ count: 5 });
  });

  it('lets one process write a projection; another takes over within the lease time when it stops', async () => {
    const db = newDb();
    const live = new ReplaySubject<ProjectedEvent>();
    const writes = { a: 0, b: 0 };
    const options = (who: 'a' | 'b'): ProjectionRunnerOptions => ({
      db,
      owner: who,
      leaseMs: 600,
      projections: [
        countingProjection('leased', { onApply: (batch) => (writes[who] += batch.length) }),
      ],
      source: logSource([], live).source,
    });
    const a = await run(options('a'));
    await run(options('b'));
    for (const event of events('s-a', 3)) live.next(event);
    await until(async () => (await checkpoint(db, 'leased'))?.eventsProjected === 3);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(writes).toEqual({ a: 3, b: 0 });
    expect(await checkpoint(db, 'leased')).toMatchObject({ lease: { owner: 'a' } });

    await a.stop();
    const stoppedAt = Date.now();
    for (const event of events('s-a', 2)) live.next(event);
    await until(async () => (await checkpoint(db, 'leased'))?.eventsProjected === 5);
    expect(Date.now() - stoppedAt).toBeLessThan(600);
    expect(writes).toEqual({ a: 3, b: 2 });
    expect(await checkpoint(db, 'leased')).toMatchObject({ lease: { owner: 'b' } });
  });

  it('takes over an expired lease of a process that vanished, and stops writing a lease it lost', async () => {
    const db = newDb();
    const live = new ReplaySubject<ProjectedEvent>();
    await db.collection(CHECKPOINTS_COLLECTION).insertOne({
      _id: 'orphan' as never,
      state: 'running',
      eventsProjected: 0,
      batches: 0,
      lease: { owner: 'crashed', expiresAt: new Date(Date.now() + 400) },
    });
    const writes: number[] = [];
    const sut = await run({
      db,
      owner: 'heir',
      leaseMs: 400,
      projections: [
        countingProjection('orphan', { onApply: (batch) => writes.push(batch.length) }),
      ],
      source: logSource([], live).source,
    });
    await until(async () => sut.progress().held.includes('orphan'));
    live.next(events('s-a', 1)[0]);
    await until(async () => (await checkpoint(db, 'orphan'))?.eventsProjected === 1);

    await db
      .collection(CHECKPOINTS_COLLECTION)
      .updateOne(
        { _id: 'orphan' as never },
        { $set: { lease: { owner: 'usurper', expiresAt: new Date(Date.now() + 60_000) } } },
      );
    await until(async () => !sut.progress().held.includes('orphan'));
    live.next(events('s-a', 1)[0]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(writes).toEqual([1]);
  });

  it('hands a lease another took over only once its write in hand is done, and writes nothing after', async () => {
    const db = newDb();
    const live = new ReplaySubject<ProjectedEvent>();
    let applying = false;
    await run({
      db,
      owner: 'holder',
      leaseMs: 60_000,
      renewEveryMs: 50,
      projections: [
        countingProjection('handed', {
          delayMs: 1500,
          onApply: () => {
            applying = true;
          },
        }),
      ],
      source: logSource([], live).source,
    });
    live.next(events('s-a', 1)[0]);
    await until(async () => applying);
    await db
      .collection(CHECKPOINTS_COLLECTION)
      .updateOne(
        { _id: 'handed' as never },
        { $set: { lease: { owner: 'taker', expiresAt: new Date(Date.now() + 60_000) } } },
      );
    // The holder sees the lease gone at its next renewal, while its write is still in hand: no handover yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await checkpoint(db, 'handed'))?.handover ?? null).toBeNull();
    await until(async () => (await checkpoint(db, 'handed'))?.handover != null);
    expect((await checkpoint(db, 'handed'))?.handover).toMatchObject({ from: 'holder' });
    // The write in hand was done before the handover; the checkpoint stayed with the taker.
    expect(await counts(db, 'handed')).toHaveLength(1);
    expect(await checkpoint(db, 'handed')).toMatchObject({ lease: { owner: 'taker' } });
    live.next(events('s-b', 1)[0]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await counts(db, 'handed')).toHaveLength(1);
  });

  it('waits for a position until every named projection has reached it', async () => {
    const db = newDb();
    const live = new Subject<ProjectedEvent>();
    const [first, second] = events('s-a', 2);
    await run({
      db,
      projections: [countingProjection('w1'), countingProjection('w2')],
      source: logSource([], live).source,
    });
    expect(await waitForPosition(db, ['w1', 'w2'], first.position.commit, 100)).toBe(false);
    const waiting = waitForPosition(db, ['w1', 'w2'], second.position, 5000);
    live.next(first);
    live.next(second);
    expect(await waiting).toBe(true);
    expect(await waitForPosition(db, [], second.position.commit, 100)).toBe(true);
    expect(await waitForPosition(db, ['w1', 'missing'], first.position.commit, 100)).toBe(false);
  });
});
