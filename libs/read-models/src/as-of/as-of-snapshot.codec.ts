import { types } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { PersistentMap, TimeSeries } from '@app/domain';

// Marks a value the codec rewrote (a domain class, or a plain object that happens to use this key itself).
const TAG = '__asOfCodec';

type Tagged =
  | { [TAG]: 'PersistentMap'; entries: [string, unknown][] }
  | { [TAG]: 'TimeSeries'; at: number[]; values: number[][] }
  | { [TAG]: 'Object'; value: Record<string, unknown> };

/**
 * A folded state (or profile) as bytes that read back as an identical value: V8's structured serialization keeps
 * what BSON would not (undefined beside missing, -0, NaN, Dates, Maps and Sets, key order, shared references), and
 * the domain's persistent structures are written as what their version holds (a PersistentMap as its entries, a
 * TimeSeries as its entries in arrival order), not as the internals they share with other versions. Any other class
 * instance is refused, so a new kind of value in the state fails here instead of coming back as a plain object.
 */
export function encodeSnapshotValue(value: unknown): Buffer {
  return serialize(toPlain(value, new Map()));
}

export function decodeSnapshotValue<T>(bytes: Uint8Array): T {
  return fromPlain(deserialize(bytes), new Map()) as T;
}

function toPlain(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`an as-of snapshot cannot hold a ${typeof value}`);
  }
  if (typeof value !== 'object' || value === null || types.isDate(value)) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (value instanceof PersistentMap) {
    const tagged: Tagged = { [TAG]: 'PersistentMap', entries: [] };
    seen.set(value, tagged);
    for (const [key, entry] of (value as PersistentMap<unknown>).entries()) {
      tagged.entries.push([key, toPlain(entry, seen)]);
    }
    return tagged;
  }
  if (value instanceof TimeSeries) {
    const tagged: Tagged = { [TAG]: 'TimeSeries', ...value.arrivals() };
    seen.set(value, tagged);
    return tagged;
  }
  const collection = copyCollection(value, seen, toPlain);
  if (collection !== undefined) return collection;
  // A plain object (of any realm): its prototype is an Object.prototype, whose own prototype is null.
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === null || Object.getPrototypeOf(prototype) !== null) {
    throw new TypeError(
      `an as-of snapshot cannot hold a ${value.constructor?.name ?? 'prototype-less object'}`,
    );
  }
  const copy: Record<string, unknown> = {};
  const result = TAG in value ? ({ [TAG]: 'Object', value: copy } satisfies Tagged) : copy;
  seen.set(value, result);
  for (const key of Object.keys(value)) {
    copy[key] = toPlain((value as Record<string, unknown>)[key], seen);
  }
  return result;
}

/**
 * Undoes toPlain. Builds new values rather than changing the deserialized ones: V8 deserializes into the main realm,
 * and a caller in another one (a vm context, as under jest) must get its own Objects, Maps and Dates.
 */
function fromPlain(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (types.isDate(value)) return new Date(value.getTime());
  const known = seen.get(value);
  if (known !== undefined) return known;
  const collection = copyCollection(value, seen, fromPlain);
  if (collection !== undefined) return collection;
  const record = value as Record<string, unknown>;
  if (!(TAG in record)) return copyRecord(record, seen);
  const tagged = value as Tagged;
  switch (tagged[TAG]) {
    case 'PersistentMap': {
      let map = PersistentMap.empty<unknown>();
      for (const [key, entry] of tagged.entries) map = map.set(key, fromPlain(entry, seen));
      seen.set(value, map);
      return map;
    }
    case 'TimeSeries': {
      const series = TimeSeries.fromArrivals(tagged.at, tagged.values);
      seen.set(value, series);
      return series;
    }
    case 'Object':
      return copyRecord(tagged.value, seen, value);
    default: {
      const unknown: never = tagged;
      throw new TypeError(`unknown as-of snapshot tag ${JSON.stringify(unknown)}`);
    }
  }
}

/** A copy of an array (holes kept), Map or Set with `each` applied to its members; undefined for anything else. */
function copyCollection(
  value: object,
  seen: Map<object, unknown>,
  each: (member: unknown, seen: Map<object, unknown>) => unknown,
): unknown[] | Map<unknown, unknown> | Set<unknown> | undefined {
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array<unknown>(value.length);
    seen.set(value, copy);
    for (let index = 0; index < value.length; index += 1) {
      if (index in value) copy[index] = each(value[index], seen);
    }
    return copy;
  }
  if (types.isMap(value)) {
    const copy = new Map<unknown, unknown>();
    seen.set(value, copy);
    for (const [key, entry] of value) copy.set(each(key, seen), each(entry, seen));
    return copy;
  }
  if (types.isSet(value)) {
    const copy = new Set<unknown>();
    seen.set(value, copy);
    for (const entry of value) copy.add(each(entry, seen));
    return copy;
  }
  return undefined;
}

function copyRecord(
  from: Record<string, unknown>,
  seen: Map<object, unknown>,
  seenAs: object = from,
): Record<string, unknown> {
  const to: Record<string, unknown> = {};
  seen.set(seenAs, to);
  for (const key of Object.keys(from)) to[key] = fromPlain(from[key], seen);
  return to;
}
