import { crc32c } from './crc32c';
import { BSON, type Document } from 'bson';
import { serializeDocument } from '../bson/serialize';

/** Opcodes of the MongoDB wire protocol this server reads or writes. */
export const OpCode = { REPLY: 1, QUERY: 2004, COMPRESSED: 2012, MSG: 2013 } as const;

export const MAX_MESSAGE_BYTES = 48_000_000;
export const MAX_BSON_BYTES = 16 * 1024 * 1024;
const HEADER_BYTES = 16;

const FLAG_CHECKSUM_PRESENT = 1 << 0;
const FLAG_MORE_TO_COME = 1 << 1;

export const decodeOptions = {
  promoteValues: false,
  promoteBuffers: false,
  validation: { utf8: true },
};

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

/** A decoded command: the body plus kind-1 document sequences merged in under their identifiers. */
export interface IncomingCommand {
  kind: 'msg' | 'query';
  requestId: number;
  moreToCome: boolean;
  body: Document;
  /** Raw BSON bytes of each document of each sequence, kept for size checks. */
  sequenceSizes: Map<string, number[]>;
}

export class ProtocolError extends Error {}

function readCString(buf: Buffer, offset: number, end: number): [string, number] {
  const zero = buf.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new ProtocolError('unterminated cstring');
  return [buf.toString('utf8', offset, zero), zero + 1];
}

function readDocument(buf: Buffer, offset: number, end: number): [Document, number, number] {
  if (offset + 5 > end) throw new ProtocolError('truncated BSON document');
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new ProtocolError('invalid BSON document length');
  if (buf[offset + size - 1] !== 0) throw new ProtocolError('BSON document not null-terminated');
  const doc = BSON.deserialize(buf.subarray(offset, offset + size), decodeOptions);
  return [doc, offset + size, size];
}

export function readHeader(buf: Buffer): MessageHeader {
  return {
    messageLength: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

/** Parses one complete frame (header included). Throws ProtocolError on anything malformed. */
export function parseMessage(frame: Buffer): IncomingCommand {
  const header = readHeader(frame);
  if (header.opCode === OpCode.MSG) return parseOpMsg(frame, header);
  if (header.opCode === OpCode.QUERY) return parseOpQuery(frame, header);
  throw new ProtocolError(`unsupported opCode ${header.opCode}`);
}

function parseOpMsg(frame: Buffer, header: MessageHeader): IncomingCommand {
  if (frame.length < HEADER_BYTES + 5) throw new ProtocolError('OP_MSG too short');
  const flags = frame.readUInt32LE(HEADER_BYTES);
  // Bits 0-15 are required: an unknown one set there must fail the message.
  if ((flags & 0xffff & ~(FLAG_CHECKSUM_PRESENT | FLAG_MORE_TO_COME)) !== 0) {
    throw new ProtocolError(`unsupported OP_MSG flagBits ${flags}`);
  }
  let end = frame.length;
  if (flags & FLAG_CHECKSUM_PRESENT) {
    end -= 4;
    if (end < HEADER_BYTES + 4) throw new ProtocolError('OP_MSG too short for checksum');
    if (crc32c(frame.subarray(0, end)) !== frame.readUInt32LE(end)) {
      throw new ProtocolError('OP_MSG checksum mismatch');
    }
  }
  let offset = HEADER_BYTES + 4;
  let body: Document | undefined;
  const sequences = new Map<string, Document[]>();
  const sequenceSizes = new Map<string, number[]>();
  while (offset < end) {
    const kind = frame[offset];
    offset += 1;
    if (kind === 0) {
      if (body) throw new ProtocolError('OP_MSG has more than one body section');
      [body, offset] = readDocument(frame, offset, end);
    } else if (kind === 1) {
      if (offset + 4 > end) throw new ProtocolError('truncated document sequence');
      const size = frame.readInt32LE(offset);
      const seqEnd = offset + size;
      if (size < 5 || seqEnd > end) throw new ProtocolError('invalid document sequence length');
      const [id, afterId] = readCString(frame, offset + 4, seqEnd);
      let pos = afterId;
      const docs: Document[] = [];
      const sizes: number[] = [];
      while (pos < seqEnd) {
        let doc: Document;
        let docSize: number;
        [doc, pos, docSize] = readDocument(frame, pos, seqEnd);
        docs.push(doc);
        sizes.push(docSize);
      }
      if (sequences.has(id)) throw new ProtocolError(`duplicate document sequence ${id}`);
      sequences.set(id, docs);
      sequenceSizes.set(id, sizes);
      offset = seqEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  for (const [id, docs] of sequences) {
    if (id in body) throw new ProtocolError(`field ${id} given both in body and as a sequence`);
    body[id] = docs;
  }
  return {
    kind: 'msg',
    requestId: header.requestId,
    moreToCome: (flags & FLAG_MORE_TO_COME) !== 0,
    body,
    sequenceSizes,
  };
}

function parseOpQuery(frame: Buffer, header: MessageHeader): IncomingCommand {
  if (HEADER_BYTES + 4 > frame.length) throw new ProtocolError('OP_QUERY too short');
  const [collection, afterName] = readCString(frame, HEADER_BYTES + 4, frame.length);
  let offset = afterName;
  if (offset + 8 > frame.length) throw new ProtocolError('OP_QUERY too short');
  offset += 8;
  const [query] = readDocument(frame, offset, frame.length);
  if (!collection.endsWith('.$cmd')) {
    throw new ProtocolError('OP_QUERY is only supported for commands');
  }
  // Legacy drivers may wrap the command as { $query: {...}, $readPreference: ... }.
  const body: Document = query.$query && typeof query.$query === 'object' ? query.$query : query;
  body.$db = collection.slice(0, -'.$cmd'.length);
  return {
    kind: 'query',
    requestId: header.requestId,
    moreToCome: false,
    body,
    sequenceSizes: new Map(),
  };
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  buf.writeInt32LE(responseTo, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

/** An OP_MSG reply with a single kind-0 body section. */
export function encodeOpMsg(responseTo: number, reply: Document): Buffer {
  const body = serializeDocument(reply);
  const flagsAndKind = Buffer.alloc(5);
  const total = HEADER_BYTES + flagsAndKind.length + body.length;
  return Buffer.concat([header(total, responseTo, OpCode.MSG), flagsAndKind, body], total);
}

/** An OP_REPLY carrying one document: the answer to a legacy OP_QUERY command. */
export function encodeOpReply(responseTo: number, reply: Document): Buffer {
  const body = serializeDocument(reply);
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(8, 0); // AwaitCapable
  fields.writeInt32LE(1, 16); // numberReturned; cursorID and startingFrom stay zero
  const total = HEADER_BYTES + fields.length + body.length;
  return Buffer.concat([header(total, responseTo, OpCode.REPLY), fields, body], total);
}

/**
 * Splits a TCP byte stream into whole frames. Returns an error string for a length that cannot be
 * a MongoDB message so the connection can be closed instead of waiting for bytes that never come.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  next(): Buffer | string | undefined {
    if (this.buffered < 4) return undefined;
    if (this.chunks[0].length < 4) this.coalesce();
    const length = this.chunks[0].readInt32LE(0);
    if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) {
      return `invalid message length ${length}`;
    }
    if (this.buffered < length) return undefined;
    if (this.chunks[0].length < length) this.coalesce();
    const first = this.chunks[0];
    const frame = first.subarray(0, length);
    if (first.length === length) this.chunks.shift();
    else this.chunks[0] = first.subarray(length);
    this.buffered -= length;
    return frame;
  }

  private coalesce(): void {
    this.chunks = [Buffer.concat(this.chunks, this.buffered)];
  }
}
