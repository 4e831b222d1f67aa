import { Decimal128, Double, Long, type ObjectId } from 'bson';
import { compareNumeric, decimalFitsDouble, decimalKey } from './exact-number';

/**
 * Documents are kept in a "view" form that mingo can compare: every BSON number (Int32, Double,
 * Long, Decimal128) that a double holds exactly becomes a JS number, so Long 5 equals Double 5 as
 * in MongoDB. What the plain number would lose on the way back out (an integral Double, a Long, a
 * Decimal128's exact digits) is remembered per document as a type hint keyed by the field path.
 * Numbers no double holds (Longs beyond 2^53, Decimal128s such as 0.1) stay BSON objects, which
 * the engine's own comparison operators compare exactly.
 */
export type TypeHints = Map<string, string>;

export interface ViewDocument {
  doc: Record<string, unknown>;
  hints: TypeHints | undefined;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function bsonTypeOf(value: object): string | undefined {
  return (value as { _bsontype?: string })._bsontype;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Whether bson would write this JS number back as an Int32 (then an integral Double needs a hint). */
function serializesAsInt32(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX && !Object.is(n, -0);
}

/**
 * `path` holds the keys leading to `value`; the dotted path string is only built for a hint, so converting a large
 * document builds no string per field.
 */
function convertValue(value: unknown, path: Array<string | number>, hints: TypeHints): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (element === null || typeof element !== 'object') continue;
      path.push(i);
      value[i] = convertValue(element, path, hints);
      path.pop();
    }
    return value;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const field = value[key];
      if (field === null || typeof field !== 'object') continue;
      path.push(key);
      value[key] = convertValue(field, path, hints);
      path.pop();
    }
    return value;
  }
  switch (bsonTypeOf(value)) {
    case 'Int32':
      return (value as { value: number }).value;
    case 'Double': {
      const n = (value as Double).value;
      if (serializesAsInt32(n)) hints.set(path.join('.'), 'f');
      return n;
    }
    case 'Long': {
      const long = value as Long;
      const n = long.toNumber();
      // Beyond 2^53 a double would merge distinct values (two snowflake ids, one key): such
      // Longs stay Long objects, compared exactly by compareValues and keyOf.
      if (!Number.isSafeInteger(n)) return value;
      hints.set(path.join('.'), 'l');
      return n;
    }
    case 'Decimal128': {
      const text = (value as Decimal128).toString();
      const n = Number(text);
      if (!decimalFitsDouble(text, n)) return value;
      hints.set(path.join('.'), `d${text}`);
      return n;
    }
    default:
      return value;
  }
}

const HINTS_OF = new WeakMap<object, TypeHints>();

/** Remembers a stored document's hints, for operators that see only the document (`$type`). */
export function rememberHints(doc: object, hints: TypeHints | undefined): void {
  if (hints) HINTS_OF.set(doc, hints);
  else HINTS_OF.delete(doc);
}

export function hintsOf(doc: unknown): TypeHints | undefined {
  return doc !== null && typeof doc === 'object' ? HINTS_OF.get(doc) : undefined;
}

/** Converts a document decoded with `promoteValues: false` into view form, in place. */
export function toView(doc: Record<string, unknown>): ViewDocument {
  const hints: TypeHints = new Map();
  convertValue(doc, [], hints);
  return { doc, hints: hints.size > 0 ? hints : undefined };
}

/** Converts any value (filter operand, update operand) into view form, dropping the hints. */
export function toViewValue<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  return convertValue(value, [], new Map()) as T;
}

function restoreLeaf(value: unknown, hint: string): unknown {
  if (typeof value !== 'number') return value;
  const tag = hint[0];
  if (tag === 'f') return new Double(value);
  if (tag === 'l') return Number.isInteger(value) ? Long.fromNumber(value) : value;
  if (tag === 'd') {
    const exact = hint.slice(1);
    return Decimal128.fromString(Number(exact) === value ? exact : String(value));
  }
  return value;
}

/** Returns a copy of the document with the hinted numbers back in their original BSON types. */
export function fromView(
  doc: Record<string, unknown>,
  hints: TypeHints | undefined,
): Record<string, unknown> {
  if (!hints) return doc;
  const root: Record<string, unknown> = { ...doc };
  for (const [path, hint] of hints) {
    const parts = path.split('.');
    let parent: Record<string, unknown> | unknown[] = root;
    let ok = true;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts[i];
      const child: unknown = (parent as Record<string, unknown>)[key];
      if (child === null || typeof child !== 'object') {
        ok = false;
        break;
      }
      const copy: Record<string, unknown> | unknown[] | undefined = Array.isArray(child)
        ? [...(child as unknown[])]
        : isPlainObject(child)
          ? { ...child }
          : undefined;
      if (!copy) {
        ok = false;
        break;
      }
      (parent as Record<string, unknown>)[key] = copy;
      parent = copy;
    }
    if (!ok) continue;
    const last = parts[parts.length - 1];
    const container = parent as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(container, last)) {
      container[last] = restoreLeaf(container[last], hint);
    }
  }
  return root;
}

/** Drops hints whose path no longer holds a number (the field was unset or replaced). */
export function pruneHints(
  doc: Record<string, unknown>,
  hints: TypeHints | undefined,
  replacedPaths: readonly string[] = [],
): TypeHints | undefined {
  if (!hints) return undefined;
  const kept: TypeHints = new Map();
  for (const [path, hint] of hints) {
    if (replacedPaths.some((p) => path === p || path.startsWith(`${p}.`))) continue;
    if (typeof getExact(doc, path) === 'number') kept.set(path, hint);
  }
  return kept.size > 0 ? kept : undefined;
}

export function mergeHints(
  a: TypeHints | undefined,
  b: TypeHints | undefined,
): TypeHints | undefined {
  if (!a) return b;
  if (!b) return a;
  const merged = new Map(a);
  for (const [k, v] of b) merged.set(k, v);
  return merged;
}

/** The value at a dotted path without array traversal (numeric parts index arrays). */
export function getExact(doc: unknown, path: string): unknown {
  let current: unknown = doc;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * All values a dotted path reaches, traversing arrays as MongoDB does ("a.b" on `a: [{b: 1}, {b:
 * 2}]` reaches 1 and 2). Used for index keys and sort keys.
 */
export function collectPathValues(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  const parts = path.split('.');
  const walk = (value: unknown, i: number): void => {
    if (i === parts.length) {
      out.push(value);
      return;
    }
    if (Array.isArray(value)) {
      const part = parts[i];
      if (/^\d+$/.test(part) && Number(part) < value.length) {
        walk(value[Number(part)], i + 1);
        return;
      }
      for (const element of value) {
        if (element !== null && typeof element === 'object' && !Array.isArray(element)) {
          walk(element, i);
        }
      }
      return;
    }
    if (value === null || typeof value !== 'object') {
      out.push(undefined);
      return;
    }
    walk((value as Record<string, unknown>)[parts[i]], i + 1);
  };
  walk(doc, 0);
  return out;
}

/** Deep copy of plain objects and arrays; BSON value objects are immutable and shared. */
export function cloneView<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => cloneView(v) as unknown) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copy[key] = cloneView(value[key]);
  return copy as T;
}

/** MongoDB's canonical type order, used to sort values of different types. */
export function canonicalRank(value: unknown): number {
  if (value === undefined || value === null) return 2;
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    case 'boolean':
      return 9;
    case 'object':
      break;
    default:
      return 5;
  }
  if (Array.isArray(value)) return 6;
  if (value instanceof Date) return 10;
  if (value instanceof RegExp) return 12;
  if (isPlainObject(value)) return 5;
  switch (bsonTypeOf(value)) {
    case 'Long':
    case 'Decimal128':
      return 3;
    case 'MinKey':
      return 1;
    case 'MaxKey':
      return 13;
    case 'Binary':
      return 7;
    case 'ObjectId':
      return 8;
    case 'Timestamp':
      return 11;
    case 'BSONSymbol':
      return 4;
    case 'BSONRegExp':
      return 12;
    default:
      return 5;
  }
}

function cmp<T>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Total order over view values following MongoDB's comparison rules; `strings` orders strings
 * (binary by default, a collation's comparison otherwise), inside arrays and documents too.
 */
export function compareValues(
  a: unknown,
  b: unknown,
  strings: (x: string, y: string) => number = cmp,
): number {
  const ra = canonicalRank(a);
  const rb = canonicalRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 1:
    case 2:
    case 13:
      return 0;
    case 3:
      return compareNumeric(a as number, b as number);
    case 4:
      return strings(String(a), String(b));
    case 6: {
      const xs = a as unknown[];
      const ys = b as unknown[];
      for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
        const c = compareValues(xs[i], ys[i], strings);
        if (c !== 0) return c;
      }
      return xs.length - ys.length;
    }
    case 5: {
      const xa = Object.entries(a as Record<string, unknown>);
      const xb = Object.entries(b as Record<string, unknown>);
      for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
        const r = canonicalRank(xa[i][1]) - canonicalRank(xb[i][1]);
        if (r !== 0) return r;
        const k = cmp(xa[i][0], xb[i][0]);
        if (k !== 0) return k;
        const v = compareValues(xa[i][1], xb[i][1], strings);
        if (v !== 0) return v;
      }
      return xa.length - xb.length;
    }
    case 7:
      return cmp(String(a), String(b));
    case 8:
      return cmp((a as ObjectId).toHexString(), (b as ObjectId).toHexString());
    case 9:
      return cmp(Number(a), Number(b));
    case 10:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case 11:
      return (a as Long).compare(b as Long);
    default:
      return cmp(String(a), String(b));
  }
}

/**
 * A string that is equal for values MongoDB considers equal (Int32 5, Long 5 and Double 5 share a
 * key), used for `_id` and index hash lookups.
 */
export function keyOf(value: unknown): string {
  if (value === undefined || value === null) return 'z';
  switch (typeof value) {
    case 'number':
      if (Object.is(value, -0)) return 'n0';
      // Beyond 2^53 JS prints only the shortest round-trip digits (2^62 as 4611686018427388000),
      // which would share a key with a different Long; those integers are printed exactly.
      return Number.isInteger(value) && Math.abs(value) > Number.MAX_SAFE_INTEGER
        ? `n${BigInt(value)}`
        : `n${value}`;
    case 'string':
      return `s${value}`;
    case 'boolean':
      return value ? 'b1' : 'b0';
    case 'object':
      break;
    case 'bigint':
      return `n${Number(value)}`;
    default:
      return `?${typeof value}`;
  }
  if (Array.isArray(value)) return `a${JSON.stringify(value.map(keyOf))}`;
  if (value instanceof Date) return `d${value.getTime()}`;
  if (value instanceof RegExp) return `r${String(value)}`;
  if (isPlainObject(value)) {
    return `o${JSON.stringify(Object.keys(value).map((k) => [k, keyOf(value[k])]))}`;
  }
  const type = bsonTypeOf(value);
  if (type === 'ObjectId') return `i${(value as ObjectId).toHexString()}`;
  // Same key as the equal double or Decimal128 would get (exact digits).
  if (type === 'Long') return `n${(value as Long).toString()}`;
  if (type === 'Decimal128') return decimalKey(value as Decimal128);
  if (type === 'Binary') {
    const bin = value as { sub_type: number; toString(enc: string): string };
    return `B${bin.sub_type}:${bin.toString('base64')}`;
  }
  return `${type ?? 'x'}:${(value as { toString(): string }).toString()}`;
}

/**
 * `keyOf(a) === keyOf(b)` without building either key: documents and arrays are walked in step and
 * the walk stops at the first difference, so comparing two large documents costs no string building.
 */
export function sameKey(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Two different strings, or two different numbers other than two NaNs, never share a key.
  if (typeof a === 'string' && typeof b === 'string') return false;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  const arrays = Array.isArray(a);
  if (arrays !== Array.isArray(b)) return false;
  if (arrays) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i += 1) if (!sameKey(x[i], y[i])) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    const other = Object.keys(b);
    if (keys.length !== other.length) return false;
    for (let i = 0; i < keys.length; i += 1) {
      if (keys[i] !== other[i] || !sameKey(a[keys[i]], b[keys[i]])) return false;
    }
    return true;
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return keyOf(a) === keyOf(b);
}

/** mingo's projections append `_id`; mongod always writes it first. */
export function idFirst<T extends Record<string, unknown>>(doc: T): T {
  if (!('_id' in doc)) return doc;
  for (const key in doc) {
    if (key === '_id') return doc;
    break;
  }
  const { _id, ...rest } = doc;
  return { _id, ...rest } as unknown as T;
}

export { isPlainObject };
