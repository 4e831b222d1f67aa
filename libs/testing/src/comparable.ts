import { types } from 'node:util';
import { PersistentMap, TimeSeries } from '@app/domain';

/**
 * A value with the domain's persistent structures replaced by what their version holds (a PersistentMap by a Map of
 * its entries, a TimeSeries by its entries in arrival order), so that `toStrictEqual` compares two states by
 * content (undefined beside missing, -0, Dates, Maps included) rather than by the internals versions share.
 */
export function comparable(value: unknown): unknown {
  if (value instanceof PersistentMap) {
    return new Map(
      [...(value as PersistentMap<unknown>).entries()].map(([k, v]) => [k, comparable(v)]),
    );
  }
  if (value instanceof TimeSeries) return { timeSeries: value.arrivals() };
  if (typeof value !== 'object' || value === null) return value;
  // Dates, Maps and Sets of any realm: structuredClone makes them in the main one, not in jest's.
  if (types.isDate(value)) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map(comparable);
  if (types.isMap(value)) {
    return new Map([...value].map(([k, v]) => [k, comparable(v)]));
  }
  if (types.isSet(value)) return new Set([...value].map(comparable));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
}
