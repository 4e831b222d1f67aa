import type { Db } from 'mongodb';
import { checkpointsCollection } from '../projection/checkpoints';
import { readModelVersions } from '../rebuild/read-model-versions';
import type { Dimension } from './transition.document';
import {
  type Timeline,
  type TimelineBucket,
  TIMELINES_COLLECTION,
  timelinesProjection,
  unpackBucket,
} from './timeline.projection';

const TIMELINES = timelinesProjection().name;

interface DimensionTimelines {
  /** The read model's live version these buckets came from: a rebuild's switch replaces them all. */
  version: number;
  /** Every bucket written by then is held: the timelines checkpoint when the buckets were last read. */
  through: number;
  buckets: Map<number, Array<[string, Timeline]>>;
  /** All buckets' customers in one list, made again after a change. */
  all: Array<[string, Timeline]> | undefined;
}

/**
 * Each dimension's timelines kept in memory between population-wide queries (migration matrices, level counts),
 * brought up to date from the buckets written since the last query: a bucket records the position of the last
 * event applied to it, and the timelines checkpoint says up to where every batch is written. So a matrix reads a
 * few changed buckets instead of all eight thousand, and parses only those. Answers are the same as reading every
 * bucket; one process holds one copy per database and dimension (about 40 bytes plus the entries per customer).
 */
export class TimelineCache {
  private readonly held = new Map<string, DimensionTimelines>();
  private readonly reading = new Map<string, Promise<DimensionTimelines>>();

  /** Every customer's timeline of the dimension, as of at least the timelines checkpoint now. */
  async timelines(db: Db, dimension: Dimension): Promise<ReadonlyArray<[string, Timeline]>> {
    const key = `${db.databaseName}|${dimension}`;
    // Queries that arrive while the buckets are being read wait for that read (it began after they did not).
    let reading = this.reading.get(key);
    if (!reading) {
      reading = this.refresh(db, dimension, this.held.get(key)).finally(() => {
        this.reading.delete(key);
      });
      this.reading.set(key, reading);
    }
    const state = await reading;
    this.held.set(key, state);
    state.all ??= [...state.buckets.values()].flat();
    return state.all;
  }

  private async refresh(
    db: Db,
    dimension: Dimension,
    held: DimensionTimelines | undefined,
  ): Promise<DimensionTimelines> {
    // The checkpoint first: every bucket of a batch at or before it is written by the time the buckets are read.
    const [version, checkpoint] = await Promise.all([
      readModelVersions(db).live(TIMELINES),
      checkpointsCollection(db).findOne({ _id: TIMELINES }, { projection: { commit: 1 } }),
    ]);
    const state: DimensionTimelines =
      held && held.version === version
        ? held
        : { version, through: -1, buckets: new Map(), all: undefined };
    const changed = await db
      .collection<TimelineBucket>(TIMELINES_COLLECTION)
      .find(
        { dimension, position: { $gt: state.through } },
        { projection: { customers: 1, bucket: 1 } },
      )
      .toArray();
    for (const bucket of changed) {
      state.buckets.set(bucket.bucket, Object.entries(unpackBucket(bucket)));
    }
    if (changed.length > 0) state.all = undefined;
    // Without a checkpoint (nothing projected through a runner) every read takes every bucket again.
    state.through = checkpoint?.commit === undefined ? -1 : Number(checkpoint.commit);
    return state;
  }
}
