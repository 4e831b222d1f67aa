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
  /** Hash chaining the event to the previous one of its stream (hash-chain.ts); absent on events older than it. */
  chain?: string;
}
