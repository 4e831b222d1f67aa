import { hash } from 'node:crypto';
import type { StreamReader } from './stream-reader';

/**
 * Tamper evidence: every event's metadata carries `chain`, a SHA-256 over the previous event's chain and the event
 * as stored, so changing, removing or inserting an event anywhere in a stream breaks every chain after it.
 *
 *   chain(n) = sha256hex(canonicalJson([chain(n-1), eventId, type, data as stored, metadata without chain]))
 *   chain(-1) = sha256hex('crm-chain-v1:' + streamId)        (the genesis, bound to the stream's name)
 *
 * "As stored" means personal fields sealed (`enc:v1:…`) and the payload not upcast: the chain can be checked by
 * anyone who can read the store, without keys, and still holds after the customer's key is destroyed.
 */
export const CHAIN_FIELD = 'chain';

export function chainGenesis(streamId: string): string {
  return hash('sha256', `crm-chain-v1:${streamId}`, 'hex');
}

export interface ChainedEvent {
  eventId: string;
  type: string;
  data: unknown;
  /** The metadata as stored; its `chain` field, if any, is left out of the hash. */
  metadata: Record<string, unknown>;
}

export function chainHash(previous: string, event: ChainedEvent): string {
  const { [CHAIN_FIELD]: _chain, ...metadata } = event.metadata;
  // canonicalJson([previous, eventId, type, data, metadata]), member by member so that parts already in canonical
  // order (the metadata the decider store writes) go through the native JSON.stringify.
  const text =
    `[${canonicalJson(previous)},${canonicalJson(event.eventId)},${canonicalJson(event.type)},` +
    `${canonicalPart(event.data)},${canonicalPart(metadata)}]`;
  // The one-shot digest: no Hash object per event.
  return hash('sha256', text, 'hex');
}

function canonicalPart(value: unknown): string {
  if (typeof value !== 'object' || value === null) return canonicalJson(value);
  if (inCanonicalOrder(value)) return JSON.stringify(value);
  // Event payloads come in the decider's key order: a copy in sorted order goes through the native serializer,
  // which is several times faster than building the text member by member.
  const sorted = sortedCopy(value);
  return sorted === UNSORTABLE ? canonicalJson(value) : JSON.stringify(sorted);
}

const UNSORTABLE = Symbol('unsortable');

/**
 * The value with every object's keys in sorted order, for JSON.stringify to write exactly what canonicalJson writes;
 * UNSORTABLE when no plain object can (keys like "7", which JavaScript always enumerates first, or "__proto__").
 */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value) {
      const copy = sortedCopy(item);
      if (copy === UNSORTABLE) return UNSORTABLE;
      items.push(copy);
    }
    return items;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return sortedCopy((value as { toJSON(): unknown }).toJSON());
  const keys = Object.keys(value);
  // A "__proto__" member cannot be copied by assignment; objects without a prototype would serialize slowly.
  for (const key of keys) if (ARRAY_INDEX_LIKE.test(key) || key === '__proto__') return UNSORTABLE;
  const copy: Record<string, unknown> = {};
  for (const key of keys.sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined || typeof member === 'function') continue;
    const sorted = sortedCopy(member);
    if (sorted === UNSORTABLE) return UNSORTABLE;
    copy[key] = sorted;
  }
  return copy;
}

const ARRAY_INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

/**
 * True when JSON.stringify writes exactly what canonicalJson would: JSON values only, every object a plain one
 * whose keys already come in sorted order (and none that JavaScript enumerates before the others, like "7").
 */
function inCanonicalOrder(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'function':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (Array.isArray(value)) return value.every(inCanonicalOrder);
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  let previousKey: string | undefined;
  for (const key of Object.keys(value)) {
    if (key === 'toJSON' || ARRAY_INDEX_LIKE.test(key)) return false;
    if (previousKey !== undefined && previousKey >= key) return false;
    previousKey = key;
    if (!inCanonicalOrder((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives the same text,
 * whichever order its keys were built or parsed in. `undefined` members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON(): unknown }).toJSON());
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
  }
  return `{${members.join(',')}}`;
}

export type ChainFinding =
  /** Chained, as expected. */
  | { status: 'ok' }
  /** Written before chaining existed: only a stream's first events may be so. */
  | { status: 'unchained' }
  | { status: 'broken'; reason: 'mismatch' | 'missing'; expected: string; found: string | null }
  /** After the first break: not judged, since it chains from a value that cannot be trusted. */
  | { status: 'after_break' };

export interface ChainBreak {
  streamId: string;
  revision: number;
  eventId: string;
  type: string;
  reason: 'mismatch' | 'missing';
  expected: string;
  found: string | null;
}

export interface StreamChainReport {
  streamId: string;
  events: number;
  chained: number;
  unchained: number;
  /** The first break, if any; later events are not judged (they chain from a value that cannot be trusted). */
  firstBreak: ChainBreak | null;
}

/**
 * Walks one stream's events in revision order. Events without a chain are "unchained" while no chained event has
 * been seen (a stream written before chaining); once the chain has started, a missing chain is a break.
 */
export class StreamChainCheck {
  private previous: string;
  private started = false;
  readonly report: StreamChainReport;

  constructor(readonly streamId: string) {
    this.previous = chainGenesis(streamId);
    this.report = { streamId, events: 0, chained: 0, unchained: 0, firstBreak: null };
  }

  /** Judges the next event of the stream (as stored). */
  next(event: ChainedEvent & { revision: number }): ChainFinding {
    this.report.events += 1;
    if (this.report.firstBreak) return { status: 'after_break' };
    const found = event.metadata[CHAIN_FIELD];
    if (typeof found !== 'string') {
      if (!this.started) {
        this.report.unchained += 1;
        return { status: 'unchained' };
      }
      return this.broken(event, 'missing', chainHash(this.previous, event), null);
    }
    const expected = chainHash(this.previous, event);
    if (found !== expected) return this.broken(event, 'mismatch', expected, found);
    this.started = true;
    this.previous = found;
    this.report.chained += 1;
    return { status: 'ok' };
  }

  private broken(
    event: ChainedEvent & { revision: number },
    reason: 'mismatch' | 'missing',
    expected: string,
    found: string | null,
  ): ChainFinding {
    this.report.firstBreak = {
      streamId: this.streamId,
      revision: event.revision,
      eventId: event.eventId,
      type: event.type,
      reason,
      expected,
      found,
    };
    return { status: 'broken', reason, expected, found };
  }
}

/** Checks one stream's chain as stored; every event is read (the stream may be long: this streams it). */
export async function checkStreamChain(
  reader: StreamReader,
  streamId: string,
): Promise<StreamChainReport> {
  const check = new StreamChainCheck(streamId);
  for await (const event of reader.readStream(streamId, { open: 'stored' })) {
    check.next({
      eventId: event.id,
      type: event.type,
      data: event.data,
      metadata: event.metadata as unknown as Record<string, unknown>,
      revision: event.revision,
    });
  }
  return check.report;
}

/**
 * Checks every stream named `prefix…` in one pass over `$all` (a stream's events come in revision order there),
 * calling `onBreak` as each stream's first break is found; resolves with the reports of all streams seen.
 */
export async function checkAllChains(
  reader: StreamReader,
  prefix: string,
  onBreak: (found: ChainBreak) => void = () => undefined,
  onProgress: (events: number) => void = () => undefined,
): Promise<StreamChainReport[]> {
  const checks = new Map<string, StreamChainCheck>();
  let events = 0;
  for await (const event of reader.readAll({ prefix, open: 'stored' })) {
    let check = checks.get(event.streamId);
    if (!check) {
      check = new StreamChainCheck(event.streamId);
      checks.set(event.streamId, check);
    }
    const finding = check.next({
      eventId: event.id,
      type: event.type,
      data: event.data,
      metadata: event.metadata as unknown as Record<string, unknown>,
      revision: event.revision,
    });
    if (finding.status === 'broken' && check.report.firstBreak) onBreak(check.report.firstBreak);
    events += 1;
    if (events % 10_000 === 0) onProgress(events);
  }
  onProgress(events);
  return [...checks.values()].map((check) => check.report);
}
