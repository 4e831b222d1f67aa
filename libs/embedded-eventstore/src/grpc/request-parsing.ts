import type { StreamIdentifier } from '@eventstore/db-client/generated/shared_pb';
import type { UuidView } from '../protocol/batch-append-request.decoder';
import { formatUuid } from '../storage/log-frame.codec';
import type { ExpectedRevision, ProposedEvent } from '../store/event-store';

export class BadRequest extends Error {}
export class MissingRequiredMetadata extends Error {}

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function streamNameOf(
  identifier: StreamIdentifier | undefined,
  what = 'stream_identifier',
): string {
  if (!identifier) throw new BadRequest(`${what} is required`);
  const bytes = identifier.getStreamName_asU8();
  if (bytes.length === 0) throw new BadRequest(`${what} must name a stream`);
  const name = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  return name;
}

export function uuidOf(uuid: UuidView | undefined, what: string): string {
  if (!uuid) throw new BadRequest(`${what} is required`);
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64BE(BigInt.asUintN(64, BigInt(structured.getMostSignificantBits())), 0);
    bytes.writeBigUInt64BE(BigInt.asUintN(64, BigInt(structured.getLeastSignificantBits())), 8);
    return formatUuid(bytes);
  }
  const text = uuid.getString();
  if (!UUID_TEXT.test(text))
    throw new BadRequest(`${what} ${JSON.stringify(text)} is not a valid UUID`);
  return text.toLowerCase();
}

// Parses a uint64 carried as a decimal string by google-protobuf.
export function uint64Of(text: string, what: string): bigint {
  if (!/^\d+$/.test(text)) throw new BadRequest(`${what} must be an unsigned integer`);
  return BigInt(text);
}

interface ExpectationSource {
  hasAny(): boolean;
  hasNoStream(): boolean;
  hasStreamExists(): boolean;
}

export function expectedRevisionOf(
  options: ExpectationSource,
  revision: (() => string) | undefined,
): ExpectedRevision {
  if (options.hasAny()) return 'any';
  if (options.hasNoStream()) return 'no_stream';
  if (options.hasStreamExists()) return 'stream_exists';
  if (revision) return uint64Of(revision(), 'expected revision');
  throw new BadRequest('an expected stream revision is required');
}

interface ProposedSource {
  getId(): UuidView | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

export function proposedEventOf(message: ProposedSource): ProposedEvent {
  const id = uuidOf(message.getId(), 'event id');
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  if (type === undefined || contentType === undefined) throw new MissingRequiredMetadata();
  return {
    id,
    type,
    contentType,
    data: asBuffer(message.getData_asU8()),
    metadata: asBuffer(message.getCustomMetadata_asU8()),
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export function proposedSize(event: ProposedEvent): number {
  return event.data.length + event.metadata.length + Buffer.byteLength(event.type);
}
