import { PersonalDataErasedError } from './errors';
import type { CommandContext, EventMetadata } from './envelope';
import { chainHash } from './hash-chain';
import { sealPersonalFields } from './personal-data';

/** One event of an append, as decided, with what its envelope needs. */
export interface AppendInput {
  type: string;
  data: Record<string, unknown>;
  eventId: string;
  context: CommandContext;
  occurredAt: string;
  schemaVersion: number;
  /** Paths of its personal fields (sealed when a key is given). */
  personalPaths: readonly string[];
  /** It holds personal data, so it cannot be stored without a usable key. */
  personal: boolean;
}

export interface SealedAppend {
  events: Array<{
    id: string;
    type: string;
    data: Record<string, unknown>;
    metadata: EventMetadata;
  }>;
  /** The chain after the last event; undefined when unchained. */
  chain: string | undefined;
}

/**
 * The events of one append as they are stored: personal fields sealed with the entity's key, the metadata envelope,
 * and each event chained to the one before it (from `chain`, the stream's last chain or its genesis; undefined
 * leaves the events unchained). Personal data with no key (`needsKey` and the key gone) is refused.
 */
export function sealAndChain(
  entityId: string,
  inputs: readonly AppendInput[],
  options: {
    key: Buffer | null | undefined;
    needsKey: boolean;
    chain: string | undefined;
    appendId: string;
    recordedAt: string;
  },
): SealedAppend {
  const { key, needsKey, appendId, recordedAt } = options;
  let chain = options.chain;
  const events = inputs.map((input) => {
    if (needsKey && !key && input.personal) throw new PersonalDataErasedError(entityId);
    const data = key
      ? sealPersonalFields(input.data, input.personalPaths, key, entityId)
      : input.data;
    // Keys in sorted order: the chain hash then serializes the metadata natively (see chainHash).
    const metadata: EventMetadata = {
      actor: input.context.actor,
      appendId,
      causationId: input.context.causationId ?? null,
      correlationId: input.context.correlationId,
      eventId: input.eventId,
      occurredAt: input.occurredAt,
      recordedAt,
      schemaVersion: input.schemaVersion,
      source: input.context.source,
    };
    // Over the data as stored (sealed) and the rest of the envelope: see hash-chain.ts.
    if (chain !== undefined) {
      chain = chainHash(chain, {
        eventId: input.eventId,
        type: input.type,
        data,
        metadata: metadata as unknown as Record<string, unknown>,
      });
      metadata.chain = chain;
    }
    return { id: input.eventId, type: input.type, data, metadata };
  });
  return { events, chain };
}
