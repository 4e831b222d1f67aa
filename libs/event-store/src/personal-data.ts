import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { PersonalDataErasedError } from './errors';

/**
 * Where each customer's data key lives. A destroyed key (erasure) answers `null`: every encrypted field of that
 * customer then reads as absent, in every replay and rebuild.
 */
export interface CustomerKeyStore {
  /**
   * Keys for these customers, created (durably) for those that have none yet, except for the `sealed` ones: their
   * streams already hold data sealed with a key, and a new key would silently make it unreadable. For those a
   * missing key is refused (`CUSTOMER_KEY_MISSING`).
   */
  obtain(
    customerIds: readonly string[],
    options?: { sealed?: readonly string[] },
  ): Promise<Map<string, Buffer | null>>;
  /** Keys as they stand; a customer with no key at all gets none created. */
  lookup(customerIds: readonly string[]): Promise<Map<string, Buffer | null>>;
  destroy(customerId: string): Promise<void>;
}

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Marks an encrypted value whose key is gone; readers see the field as absent. */
export const ERASED = undefined;

// Fresh random IVs are drawn from a pool filled 4 KiB at a time: one call into the CSPRNG per field cost more than
// the encryption itself. Every IV is still random and used once; the pool is never handed out twice.
const ivPool = Buffer.alloc(IV_BYTES * 341);
let ivNext = ivPool.length;

function freshIv(): Buffer {
  if (ivNext + IV_BYTES > ivPool.length) {
    randomFillSync(ivPool);
    ivNext = 0;
  }
  const iv = Buffer.from(ivPool.subarray(ivNext, ivNext + IV_BYTES));
  ivNext += IV_BYTES;
  return iv;
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}

/**
 * A key store wipes a key in place (all zeros) when it learns the key was destroyed, so every copy handed out in this
 * process (a read in progress holds one) stops working at once. Such a key opens nothing and seals nothing.
 */
export function isDestroyedKey(key: Buffer): boolean {
  for (const byte of key) if (byte !== 0) return false;
  return true;
}

export function isEncrypted(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

/**
 * AES-256-GCM of the JSON of one field value. The customer id and the field's path are the additional
 * authenticated data, so a ciphertext cannot be moved to another customer or field unnoticed.
 */
export function encryptField(
  key: Buffer,
  customerId: string,
  path: string,
  value: unknown,
): string {
  if (isDestroyedKey(key)) throw new PersonalDataErasedError(customerId);
  const iv = freshIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${customerId}\u0000${path}`));
  const body = cipher.update(JSON.stringify(value), 'utf8');
  // GCM holds nothing back (final adds no bytes), but its bytes are kept in case: one copy for all parts.
  const tail = cipher.final();
  return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body, tail]).toString('base64');
}

export function decryptField(
  key: Buffer,
  customerId: string,
  path: string,
  sealed: string,
): unknown {
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(`${customerId}\u0000${path}`));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  const plain = Buffer.concat([
    decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
  return JSON.parse(plain) as unknown;
}

type Json = Record<string, unknown>;

function mapPath(data: Json, path: string, change: (value: unknown) => unknown): Json {
  const [head, ...rest] = path.split('.');
  if (!(head in data) || data[head] === undefined) return data;
  if (rest.length === 0) {
    const next = change(data[head]);
    const copy = { ...data };
    if (next === undefined) delete copy[head];
    else copy[head] = next;
    return copy;
  }
  const inner = data[head];
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return data;
  return { ...data, [head]: mapPath(inner as Json, rest.join('.'), change) };
}

export function sealPersonalFields<T extends Json>(
  data: T,
  paths: readonly string[],
  key: Buffer,
  customerId: string,
): T {
  return paths.reduce<Json>(
    (current, path) =>
      mapPath(current, path, (value) =>
        value === null ? null : encryptField(key, customerId, path, value),
      ),
    data,
  ) as T;
}

/**
 * Opens sealed fields; with no key (erased) they are dropped, or replaced by `erasedAs` when the reader wants the
 * erasure shown (history).
 */
export function openPersonalFields<T extends Json>(
  data: T,
  paths: readonly string[],
  key: Buffer | null,
  customerId: string,
  erasedAs: unknown = ERASED,
): T {
  const usable = key && !isDestroyedKey(key) ? key : null;
  return paths.reduce<Json>(
    (current, path) =>
      mapPath(current, path, (value) => {
        if (!isEncrypted(value)) return value;
        return usable ? decryptField(usable, customerId, path, value) : erasedAs;
      }),
    data,
  ) as T;
}
