import { UUID } from '@eventstore/db-client/generated/shared_pb';
import { BatchAppendReq } from '@eventstore/db-client/generated/streams_pb';

// BatchAppend carries up to megabytes of events per message; decoding every ProposedMessage into
// google-protobuf objects (maps included) was the server's largest cost under append load. Events
// are read here directly from the wire bytes; the small parts (correlation id, options) still go
// through the generated classes.

// BatchAppendReq: correlation_id = 1, options = 2, proposed_messages = 3, is_final = 4.
// ProposedMessage: id = 1, metadata = 2 (map<string, string>), custom_metadata = 3, data = 4.
// UUID: structured = 1, string = 2.

export interface ProposedMessageView {
  getId(): UuidView | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

export interface UuidView {
  hasStructured(): boolean;
  getStructured():
    { getMostSignificantBits(): string; getLeastSignificantBits(): string } | undefined;
  getString(): string;
}

export interface BatchAppendRequestView {
  getCorrelationId(): UUID | undefined;
  getOptions(): BatchAppendReq.Options | undefined;
  getProposedMessagesList(): ProposedMessageView[];
  getIsFinal(): boolean;
}

const EMPTY: Buffer = Buffer.alloc(0);

export function decodeBatchAppendRequest(bytes: Buffer): BatchAppendRequestView {
  const reader = new WireReader(bytes);
  let correlationId: UUID | undefined;
  let options: BatchAppendReq.Options | undefined;
  const messages: ProposedMessageView[] = [];
  let isFinal = false;
  while (!reader.done()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === 2) correlationId = UUID.deserializeBinary(reader.bytes());
    else if (field === 2 && wire === 2)
      options = BatchAppendReq.Options.deserializeBinary(reader.bytes());
    else if (field === 3 && wire === 2) messages.push(decodeProposedMessage(reader.bytes()));
    else if (field === 4 && wire === 0) isFinal = reader.varint() !== 0;
    else reader.skip(wire);
  }
  return {
    getCorrelationId: () => correlationId,
    getOptions: () => options,
    getProposedMessagesList: () => messages,
    getIsFinal: () => isFinal,
  };
}

function decodeProposedMessage(bytes: Buffer): ProposedMessageView {
  const reader = new WireReader(bytes);
  let id: UuidView | undefined;
  const metadata = new Map<string, string>();
  let customMetadata = EMPTY;
  let data = EMPTY;
  while (!reader.done()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === 2) id = decodeUuid(reader.bytes());
    else if (field === 2 && wire === 2) decodeMapEntry(reader.bytes(), metadata);
    else if (field === 3 && wire === 2) customMetadata = reader.bytes();
    else if (field === 4 && wire === 2) data = reader.bytes();
    else reader.skip(wire);
  }
  return {
    getId: () => id,
    getMetadataMap: () => metadata,
    getData_asU8: () => data,
    getCustomMetadata_asU8: () => customMetadata,
  };
}

function decodeUuid(bytes: Buffer): UuidView {
  const reader = new WireReader(bytes);
  let text = '';
  while (!reader.done()) {
    const [field, wire] = reader.tag();
    // The structured form is rare: hand it to the generated class.
    if (field === 1 && wire === 2) return UUID.deserializeBinary(bytes);
    if (field === 2 && wire === 2) text = reader.bytes().toString('utf8');
    else reader.skip(wire);
  }
  return { hasStructured: () => false, getStructured: () => undefined, getString: () => text };
}

function decodeMapEntry(bytes: Buffer, into: Map<string, string>): void {
  const reader = new WireReader(bytes);
  let key = '';
  let value = '';
  while (!reader.done()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === 2) key = reader.bytes().toString('utf8');
    else if (field === 2 && wire === 2) value = reader.bytes().toString('utf8');
    else reader.skip(wire);
  }
  into.set(key, value);
}

export class MalformedMessageError extends Error {}

class WireReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  done(): boolean {
    return this.offset >= this.buffer.length;
  }

  tag(): [field: number, wire: number] {
    const tag = this.varint();
    return [Math.floor(tag / 8), tag % 8];
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.buffer.length) throw new MalformedMessageError('truncated varint');
      const byte = this.buffer[this.offset++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new MalformedMessageError('varint longer than 10 bytes');
  }

  bytes(): Buffer {
    const length = this.varint();
    const end = this.offset + length;
    if (end > this.buffer.length)
      throw new MalformedMessageError('length-delimited field past end');
    const slice = this.buffer.subarray(this.offset, end);
    this.offset = end;
    return slice;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.advance(4);
    else throw new MalformedMessageError(`unsupported wire type ${wire}`);
  }

  private advance(count: number): void {
    if (this.offset + count > this.buffer.length) throw new MalformedMessageError('field past end');
    this.offset += count;
  }
}
