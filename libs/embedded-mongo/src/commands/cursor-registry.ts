import { BSON, type Document, Long } from 'bson';
import { MAX_BSON_BYTES } from '../wire/wire-protocol';
import { MongoCommandError } from '../engine/mongo-error';

/** The source of a tailable cursor: documents inserted into a capped collection after its query. */
export interface Tail {
  /** Matching documents inserted since the last poll; undefined once the collection is gone. */
  poll(): Document[] | undefined;
  /** Resolves when a document may have been inserted, or after `ms`. */
  wait(ms: number): Promise<void>;
  awaitData: boolean;
}

interface OpenCursor {
  ns: string;
  docs: Document[];
  position: number;
  lastUsed: number;
  tail?: Tail;
}

// mongod's wait for new documents in a getMore on an awaitData cursor without maxTimeMS.
const DEFAULT_AWAIT_MS = 1000;

// mongod's default cursorTimeoutMillis: abandoned cursors must not hold their results forever.
const CURSOR_IDLE_MS = 10 * 60 * 1000;

// Replies must stay under the 16 MiB document limit with room for the envelope.
const BATCH_BYTES = MAX_BSON_BYTES - 64 * 1024;
const DEFAULT_FIRST_BATCH = 101;

/** Materialized results handed out in batches through `getMore`. */
export class CursorRegistry {
  private readonly open = new Map<number, OpenCursor>();
  private lastSweep = Date.now();

  get size(): number {
    return this.open.size;
  }

  /** The `cursor` field of a find/aggregate reply; keeps the rest for getMore unless exhausted. */
  firstBatch(
    ns: string,
    docs: Document[],
    batchSize: number | undefined,
    singleBatch = false,
    tail?: Tail,
  ): Document {
    this.sweep();
    const cursor: OpenCursor = { ns, docs, position: 0, lastUsed: Date.now(), tail };
    const batch = this.take(cursor, batchSize ?? DEFAULT_FIRST_BATCH);
    let id = 0;
    if (!singleBatch && (cursor.position < docs.length || tail)) {
      do id = Math.floor(Math.random() * 2 ** 52) + 1;
      while (this.open.has(id));
      this.open.set(id, cursor);
    }
    return { firstBatch: batch, id: Long.fromNumber(id), ns };
  }

  /** A tailable cursor's getMore: new documents, waiting for them up to maxTimeMS with awaitData. */
  async nextTailBatch(
    id: number,
    collection: string,
    batchSize: number | undefined,
    maxTimeMS: number | undefined,
  ): Promise<Document> {
    const cursor = this.cursorFor(id, collection);
    const tail = cursor.tail!;
    const deadline = Date.now() + (maxTimeMS ?? DEFAULT_AWAIT_MS);
    for (;;) {
      if (cursor.position >= cursor.docs.length) {
        let fresh: Document[] | undefined;
        try {
          fresh = tail.poll();
        } catch (error) {
          this.open.delete(id); // a cursor that lost its position is dead, as in mongod
          throw error;
        }
        if (!fresh) {
          this.open.delete(id);
          return { nextBatch: [], id: Long.fromNumber(0), ns: cursor.ns };
        }
        cursor.docs = fresh;
        cursor.position = 0;
      }
      const remaining = deadline - Date.now();
      if (cursor.docs.length > 0 || !tail.awaitData || remaining <= 0) break;
      await tail.wait(remaining);
      if (!this.open.has(id))
        throw new MongoCommandError('CursorNotFound', `cursor id ${id} not found`);
    }
    cursor.lastUsed = Date.now();
    const batch = this.take(cursor, batchSize ?? Number.MAX_SAFE_INTEGER);
    return { nextBatch: batch, id: Long.fromNumber(id), ns: cursor.ns };
  }

  isTailable(id: number): boolean {
    return this.open.get(id)?.tail !== undefined;
  }

  private cursorFor(id: number, collection: string): OpenCursor {
    const cursor = this.open.get(id);
    if (!cursor) throw new MongoCommandError('CursorNotFound', `cursor id ${id} not found`);
    const coll = cursor.ns.slice(cursor.ns.indexOf('.') + 1);
    if (coll !== collection && collection !== '$cmd.aggregate') {
      throw new MongoCommandError(
        'Unauthorized',
        `Requested getMore on namespace '${collection}', but cursor belongs to a different namespace ${cursor.ns}`,
      );
    }
    return cursor;
  }

  nextBatch(id: number, collection: string, batchSize: number | undefined): Document {
    const cursor = this.cursorFor(id, collection);
    cursor.lastUsed = Date.now();
    const batch = this.take(cursor, batchSize ?? Number.MAX_SAFE_INTEGER);
    const exhausted = cursor.position >= cursor.docs.length;
    if (exhausted) this.open.delete(id);
    return { nextBatch: batch, id: Long.fromNumber(exhausted ? 0 : id), ns: cursor.ns };
  }

  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [id, cursor] of this.open) {
      if (now - cursor.lastUsed > CURSOR_IDLE_MS) this.open.delete(id);
    }
  }

  kill(id: number): boolean {
    return this.open.delete(id);
  }

  private take(cursor: OpenCursor, batchSize: number): Document[] {
    const limit = batchSize <= 0 ? Number.MAX_SAFE_INTEGER : batchSize;
    const out: Document[] = [];
    let bytes = 0;
    while (cursor.position < cursor.docs.length && out.length < limit) {
      const doc = cursor.docs[cursor.position];
      const size = BSON.calculateObjectSize(doc, { ignoreUndefined: true });
      if (out.length > 0 && bytes + size > BATCH_BYTES) break;
      out.push(doc);
      bytes += size;
      cursor.position++;
    }
    return out;
  }
}
