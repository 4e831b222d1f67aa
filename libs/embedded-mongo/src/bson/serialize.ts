import { BSON, type Document } from 'bson';

/** js-bson serializes into one shared buffer of this size. */
const SHARED_BUFFER_BYTES = 17 * 1024 * 1024;

const options = { ignoreUndefined: true };

const BSON_ARRAY = 0x04;
const BSON_EMBEDDED_DOCUMENT = 0x03;

/**
 * `BSON.serialize` that never returns a damaged document. js-bson writes into one shared 17 MiB buffer: a larger
 * document throws a RangeError or, when a string runs past the end, comes back with that string silently cut
 * short. Either way the output reaches the buffer's end, so an output that long is refused here as too large.
 */
export function serializeDocument(doc: Document): Buffer {
  const bytes = BSON.serialize(doc, options) as Buffer;
  if (bytes.length >= SHARED_BUFFER_BYTES - 1) {
    throw new RangeError(`BSON document of at least ${SHARED_BUFFER_BYTES} bytes`);
  }
  return bytes;
}

/**
 * `{ ...head, [key]: items }` as one BSON document of any size, each item serialized on its own (so each must stay
 * below 17 MiB, which any stored document does): a journal record of one command's changes or a snapshot slice can
 * be far larger than one serialize call can hold.
 */
export function serializeWithArray(head: Document, key: string, items: Document[]): Buffer {
  const headBytes = serializeDocument(head);
  const parts: Uint8Array[] = [];
  let arrayBytes = 4 + 1;
  items.forEach((item, index) => {
    const itemKey = Buffer.from(`${index}\u0000`, 'latin1');
    const doc = serializeDocument(item);
    parts.push(Uint8Array.of(BSON_EMBEDDED_DOCUMENT), itemKey, doc);
    arrayBytes += 1 + itemKey.length + doc.length;
  });
  const arrayKey = Buffer.from(`${key}\u0000`, 'utf8');
  // The head's elements (its bytes without the length prefix and the final zero), then the array, then the end.
  const total = headBytes.length + 1 + arrayKey.length + arrayBytes;
  const out = Buffer.allocUnsafe(total);
  let at = out.writeInt32LE(total, 0);
  at += headBytes.copy(out, at, 4, headBytes.length - 1);
  out[at++] = BSON_ARRAY;
  at += arrayKey.copy(out, at);
  at = out.writeInt32LE(arrayBytes, at);
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  out[at] = 0; // end of the array
  out[at + 1] = 0; // end of the document
  return out;
}
