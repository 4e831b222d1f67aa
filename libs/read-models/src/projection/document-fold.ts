import {
  type AnyBulkWriteOperation,
  type Collection,
  type Filter,
  MongoBulkWriteError,
  type OptionalId,
} from 'mongodb';
import {
  type BufferedProjection,
  type ProjectedEvent,
  type Projection,
  storedPosition,
} from './projection';
import { writeErrorsOf } from '../mongo';

/** Every read-model document records the commit position of the last event applied to it. */
export interface PositionedDocument {
  _id: string;
  position: number;
}

/**
 * What a projection does with one event for the documents it keeps: which documents the event touches, and the
 * next version of one of them (null deletes it). Replaying the same events must give the same documents, byte for
 * byte. A document as loaded from the store must not be changed: return a new one. The folder's own document,
 * returned for an earlier event of the same batch, may be changed in place and returned again.
 */
export interface DocumentFolder<D extends PositionedDocument> {
  keys(event: ProjectedEvent): readonly string[];
  apply(current: D | null, event: ProjectedEvent, key: string): D | null;
  /**
   * What depends only on a document's final state, done once per changed document just before it is written
   * rather than after every event (the document is the folder's own: change it in place).
   */
  finish?(doc: D): void;
}

/**
 * Applies a batch to a collection: one query loads the touched documents, the events are folded in memory in `$all`
 * order, and unordered bulk writes (writeGuarded) store each changed document guarded by its position. A document
 * already at or past an event's position is left as it is, so a batch applied twice changes nothing.
 */
export async function foldIntoCollection<D extends PositionedDocument>(
  collection: Collection<D>,
  events: readonly ProjectedEvent[],
  folder: DocumentFolder<D>,
): Promise<number> {
  // Not the collection's only writer: every document is written guarded, also one it found missing.
  const buffer = new DocumentBuffer(folder, { soleWriter: false });
  await buffer.fold(collection, events);
  return buffer.flush(collection);
}

/**
 * foldIntoCollection over many batches with the documents kept in memory between them: each batch loads only the
 * documents the buffer does not hold yet, and `flush` writes each document changed since the last flush once,
 * however many batches changed it. Over many batches only for a writer that alone writes the collection (a
 * rebuild's copy): what it holds is then what is stored, plus its own changes. With `soleWriter: false` it is one
 * batch's fold into a shared collection (foldIntoCollection).
 */
export class DocumentBuffer<D extends PositionedDocument> {
  private readonly docs = new Map<string, D | null>();
  /** Documents the folder returned, which it may change in place later: any such return is a change. */
  private readonly made = new Set<string>();
  private readonly dirty = new Set<string>();
  /** Keys looked up and not found, not written since: a sole writer inserts these (cheaper than an upsert). */
  private readonly absent = new Set<string>();
  private readonly maxDocuments: number;
  private readonly soleWriter: boolean;
  /**
   * A sole writer that found the collection empty and has forgotten nothing since holds every document there is:
   * a key it does not hold is missing, no look-up needed (a rebuild into a fresh copy). Checked at the first fold.
   */
  private holdsAll: boolean | undefined;

  /**
   * `maxDocuments`: beyond this many documents held, a flush also forgets the ones it wrote (they are loaded again if
   * needed). `soleWriter` (default true): no one else writes the collection meanwhile.
   */
  constructor(
    private readonly folder: DocumentFolder<D>,
    options: { maxDocuments?: number; soleWriter?: boolean } = {},
  ) {
    this.maxDocuments = options.maxDocuments ?? 100_000;
    this.soleWriter = options.soleWriter ?? true;
  }

  /** Documents changed and not written yet. */
  get pending(): number {
    return this.dirty.size;
  }

  async fold(collection: Collection<D>, events: readonly ProjectedEvent[]): Promise<void> {
    // Each event's keys once: the folder may derive them from the event's effects.
    const keysOf = events.map((event) => this.folder.keys(event));
    const missing = new Set<string>();
    for (const keys of keysOf) for (const key of keys) if (!this.docs.has(key)) missing.add(key);
    if (this.soleWriter && this.holdsAll === undefined)
      this.holdsAll = (await collection.findOne({}, { projection: { _id: 1 } })) === null;
    if (missing.size > 0) {
      const stored = this.holdsAll
        ? []
        : await collection.find({ _id: { $in: [...missing] } } as Filter<D>).toArray();
      for (const key of missing) {
        this.docs.set(key, null);
        this.absent.add(key);
      }
      for (const doc of stored) {
        this.docs.set(doc._id, doc as D);
        this.absent.delete(doc._id);
      }
    }
    for (const [index, event] of events.entries()) {
      const position = storedPosition(event.position);
      for (const key of keysOf[index]) {
        const before = this.docs.get(key) ?? null;
        if (before && before.position >= position) continue;
        const after = this.folder.apply(before, event, key);
        // The same object back means "unchanged", unless the folder made it and may have changed it in place.
        if (after === before && !this.made.has(key)) continue;
        if (after) after.position = position;
        this.docs.set(key, after);
        this.made.add(key);
        this.dirty.add(key);
      }
    }
  }

  /** Writes every document changed since the last flush, guarded by position; answers how many. */
  async flush(collection: Collection<D>): Promise<number> {
    const changed = [...this.dirty];
    if (this.folder.finish)
      for (const key of changed) {
        const doc = this.docs.get(key);
        if (doc) this.folder.finish(doc);
      }
    try {
      await writeGuarded(
        collection,
        changed.map((key) => [key, this.docs.get(key) ?? null]),
        { knownAbsent: this.soleWriter ? (key) => this.absent.has(key) : undefined },
      );
    } finally {
      // Written or perhaps written: either way no longer known to be missing (a deletion leaves it missing).
      for (const key of changed) if (this.docs.get(key)) this.absent.delete(key);
    }
    this.dirty.clear();
    if (this.docs.size > this.maxDocuments) {
      this.docs.clear();
      this.made.clear();
      this.absent.clear();
      this.holdsAll = false;
    }
    return changed.length;
  }
}

type CollectionFolds = ReadonlyArray<
  readonly [collection: string, folder: DocumentFolder<PositionedDocument>]
>;

/**
 * `apply` and `buffered` of a projection made of document folds, from its collections and the folder of each, in
 * the order they are applied: a batch folds into each collection in turn (foldIntoCollection), or, buffered, into a
 * DocumentBuffer per collection.
 */
export function documentFolds(folds: CollectionFolds): Pick<Projection, 'apply' | 'buffered'> {
  return {
    async apply(db, events) {
      for (const [name, folder] of folds)
        await foldIntoCollection(db.collection<PositionedDocument>(name), events, folder);
    },
    buffered: () => bufferedFolds(folds),
  };
}

function bufferedFolds(folds: CollectionFolds): BufferedProjection {
  const buffers = folds.map(([name, folder]) => [name, new DocumentBuffer(folder)] as const);
  return {
    get pending() {
      return buffers.reduce((sum, [, buffer]) => sum + buffer.pending, 0);
    },
    async apply(db, events) {
      for (const [name, buffer] of buffers)
        await buffer.fold(db.collection<PositionedDocument>(name), events);
    },
    async flush(db) {
      for (const [name, buffer] of buffers)
        await buffer.flush(db.collection<PositionedDocument>(name));
    },
  };
}

/** Operations per bulk write: a flush of every changed document would otherwise be one huge message. */
const WRITE_SLICE = 1000;

/**
 * Replaces (or deletes) documents only where the stored one is older. An upsert whose guard does not match collides
 * with the newer document on `_id`: that duplicate-key error means "already applied" and is the expected outcome.
 * Documents `knownAbsent` (the collection's only writer found them missing and has not written them since) are
 * inserted instead, which costs the server less; one that collides after all is written guarded like the others,
 * and a deletion of one is not sent.
 */
export async function writeGuarded<D extends PositionedDocument>(
  collection: Collection<D>,
  docs: ReadonlyArray<readonly [string, D | null]>,
  options: { deletedPosition?: number; knownAbsent?: (id: string) => boolean } = {},
): Promise<void> {
  const { deletedPosition, knownAbsent } = options;
  const guarded = (id: string, doc: D | null): AnyBulkWriteOperation<D> => {
    if (doc === null) {
      const filter = { _id: id, position: { $lt: deletedPosition ?? Number.MAX_SAFE_INTEGER } };
      return { deleteOne: { filter: filter as Filter<D> } };
    }
    const filter = { _id: id, position: { $lt: doc.position } } as Filter<D>;
    return { replaceOne: { filter, replacement: doc, upsert: true } };
  };
  const writes: Array<readonly [string, D | null]> = [];
  const operations: AnyBulkWriteOperation<D>[] = [];
  for (const [id, doc] of docs) {
    const absent = knownAbsent?.(id) ?? false;
    if (doc === null && absent) continue;
    writes.push([id, doc]);
    operations.push(
      doc !== null && absent ? { insertOne: { document: doc as OptionalId<D> } } : guarded(id, doc),
    );
  }
  // In slices, two in flight: the server takes one while the next is serialized and sent. After a failure neither
  // writer starts another slice, and the failure is reported once both have stopped.
  let next = 0;
  let failed = false;
  const writer = async () => {
    while (!failed && next < operations.length) {
      const from = next;
      next += WRITE_SLICE;
      try {
        await writeSlice(collection, operations.slice(from, next), (index) => {
          const [id, doc] = writes[from + index];
          return guarded(id, doc);
        });
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled([writer(), writer()]);
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
}

/**
 * One slice. Duplicate keys of guarded writes mean "already applied"; an insert's means the document exists after
 * all: that one is written again guarded (`asGuarded` of its index in the slice).
 */
async function writeSlice<D extends PositionedDocument>(
  collection: Collection<D>,
  operations: AnyBulkWriteOperation<D>[],
  asGuarded: (index: number) => AnyBulkWriteOperation<D>,
): Promise<void> {
  const duplicates = await bulkWriteKeepingDuplicates(collection, operations);
  const collided = duplicates.filter((index) => 'insertOne' in operations[index]);
  if (collided.length > 0) await bulkWriteKeepingDuplicates(collection, collided.map(asGuarded));
}

/** An unordered bulk write; answers the indexes of the operations refused for a duplicate key (nothing else may fail). */
async function bulkWriteKeepingDuplicates<D extends PositionedDocument>(
  collection: Collection<D>,
  operations: AnyBulkWriteOperation<D>[],
): Promise<number[]> {
  try {
    await collection.bulkWrite(operations, { ordered: false });
    return [];
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError) || !onlyDuplicateKeys(error)) throw error;
    return writeErrorsOf(error).map((e) => e.index);
  }
}

function onlyDuplicateKeys(error: MongoBulkWriteError): boolean {
  const writeErrors = writeErrorsOf(error);
  return writeErrors.length > 0 && writeErrors.every((e) => e.code === 11000);
}
