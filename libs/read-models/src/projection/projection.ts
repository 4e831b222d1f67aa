import type { Db } from 'mongodb';

/** A place in `$all`. Commit positions are byte offsets: read models store them as numbers (exact below 2^53). */
export interface EventPosition {
  commit: bigint;
  prepare: bigint;
}

/** The metadata envelope every customer event carries (DESIGN.md 3.1). */
export interface ProjectedMetadata {
  eventId: string;
  occurredAt: string;
  recordedAt: string;
  actor: string;
  source: string;
  correlationId: string;
  causationId: string | null;
  schemaVersion: number;
}

/**
 * A stored customer event as projections see it: upcast to the current payload shape, with personal fields still
 * sealed (`enc:v1:…`), so read models keep personal data encrypted at rest and erasure (destroying the key) reaches
 * them without rewriting documents.
 */
export interface ProjectedEvent {
  type: string;
  data: Record<string, unknown>;
  metadata: ProjectedMetadata;
  streamId: string;
  revision: number;
  position: EventPosition;
}

/**
 * One read model: the documents it owns and how a batch of events changes them. `apply` receives events in `$all`
 * order and must be idempotent: each document records the last position applied and writes are guarded by it, so
 * applying a batch again (after a crash before the checkpoint moved) changes nothing.
 */
export interface Projection {
  /** Stable name: the checkpoint's id, the admin routes' `{name}`, the metrics label. */
  readonly name: string;
  /** The collections it writes, for rebuilds, verification and content hashes. */
  readonly collections: readonly string[];
  /**
   * Whether each of its documents belongs to one customer and names it (`customerId`), so one customer's documents
   * can be verified on their own. Default true; false for documents that pack many customers.
   */
  readonly perCustomer?: boolean;
  /** Creates its indexes; safe to call on every start. */
  setup(db: Db): Promise<void>;
  /**
   * Writes the effect of these events with unordered bulk writes. Throwing fails the whole batch; the runner then
   * retries transient store errors and isolates an event that cannot be handled (dead letter).
   */
  apply(db: Db, events: readonly ProjectedEvent[]): Promise<void>;
  /**
   * The same projection for a writer that alone writes its collections (a rebuild's copy): documents kept in
   * memory across batches, each changed one written once per `flush` instead of once per batch.
   */
  buffered?(): BufferedProjection;
}

/** See Projection.buffered: `apply` folds in memory (reading what it does not hold), `flush` writes. */
export interface BufferedProjection {
  /** Documents changed and not written yet. */
  readonly pending: number;
  apply(db: Db, events: readonly ProjectedEvent[]): Promise<void>;
  flush(db: Db): Promise<void>;
}

/** Commit position as stored in read-model documents. */
export function storedPosition(position: EventPosition): number {
  return Number(position.commit);
}
