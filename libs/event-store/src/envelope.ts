/** Who and what asked for a change: the part of the metadata envelope that the caller knows. */
export interface CommandContext {
  actor: string;
  source: string;
  correlationId: string;
  causationId?: string;
}

/** The metadata stored with every event (DESIGN.md 3.1). */
export interface EventMetadata {
  eventId: string;
  occurredAt: string;
  recordedAt: string;
  actor: string;
  source: string;
  correlationId: string;
  causationId: string | null;
  schemaVersion: number;
  /**
   * Made up for each append and the same on all its events: tells a writer whether the events it appended are the
   * ones stored (not those of an earlier append of the same ids), and where an append ends. Absent on older events.
   */
  appendId?: string;
  /** Hash chaining the event to the previous one of its stream (hash-chain.ts); absent on events older than it. */
  chain?: string;
}
