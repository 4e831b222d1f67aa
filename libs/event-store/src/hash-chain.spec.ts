import { createHash } from 'node:crypto';
import { canonicalJson, chainGenesis, chainHash, StreamChainCheck } from './hash-chain';

const event = (eventId: string, data: Record<string, unknown>, chain?: string) => ({
  eventId,
  type: 'Added',
  data,
  metadata: { eventId, actor: 'a', ...(chain ? { chain } : {}) } as Record<string, unknown>,
});

/** Chains events as the decider store does. */
function chained(streamId: string, datas: Array<Record<string, unknown>>) {
  let previous = chainGenesis(streamId);
  return datas.map((data, revision) => {
    const unsigned = event(`e${revision}`, data);
    previous = chainHash(previous, unsigned);
    return { ...unsigned, metadata: { ...unsigned.metadata, chain: previous }, revision };
  });
}

describe('hash chain', () => {
  it('canonical JSON does not depend on key order and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null, e: undefined } })).toBe(
      canonicalJson({ a: { c: null, d: [1, 'x'] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('the chain hash is sha256 of the canonical JSON of [previous, eventId, type, data, metadata], whatever the key order', () => {
    const byDefinition = (data: unknown, metadata: Record<string, unknown>) =>
      createHash('sha256')
        .update(canonicalJson(['p', 'e1', 'T', data, metadata]))
        .digest('hex');
    const cases: Array<[unknown, Record<string, unknown>]> = [
      [
        { a: 1, b: [1, { c: 'x', d: null }] },
        { actor: 'a', eventId: 'e1' },
      ],
      [
        { b: 1, a: 2 },
        { eventId: 'e1', actor: 'a' },
      ],
      [{ 10: 'x', 9: 'y', a: 1 }, { actor: 'a' }],
      [
        { a: undefined, b: [undefined, () => 1], c: new Date(0) },
        { actor: 'a', z: undefined },
      ],
      [{ toJSON: () => ({ z: 1, a: 2 }) }, {}],
      [{ a: { é: 1, e: 2, Z: 3 } }, { schemaVersion: 1 }],
      // Out of order at several levels, as a decider builds payloads (sorted copy for the native serializer).
      [
        { b: { d: 1, c: [{ y: 1, x: 2 }, 'z'] }, a: 'first', e: new Date(5) },
        { z: 1, a: 2 },
      ],
      // Index-like keys deep inside an out-of-order payload: no sorted copy can stand for them.
      [{ b: { 10: 'x', 9: 'y' }, a: 1 }, { actor: 'a' }],
      [JSON.parse('{"b":2,"__proto__":{"y":1,"x":0},"a":3}') as unknown, { actor: 'a' }],
      [{ b: [{ d: undefined, c: () => 1, a: null }], a: { toJSON: () => [2, 1] } }, {}],
      [null, { actor: 'a' }],
      ['text', { actor: 'a' }],
      [undefined, { actor: 'a' }],
    ];
    for (const [data, metadata] of cases) {
      expect(chainHash('p', { eventId: 'e1', type: 'T', data, metadata })).toBe(
        byDefinition(data, metadata),
      );
    }
  });

  it('the chain field itself is not hashed, so a stored event hashes as it was signed', () => {
    const unsigned = event('e1', { x: 1 });
    const signed = event('e1', { x: 1 }, 'anything');
    expect(chainHash('p', signed)).toBe(chainHash('p', unsigned));
  });

  it('the genesis is bound to the stream, so a chain cannot be moved to another stream', () => {
    expect(chainGenesis('customer-a')).not.toBe(chainGenesis('customer-b'));
  });

  it('an intact stream checks out', () => {
    const check = new StreamChainCheck('s-1');
    for (const e of chained('s-1', [{ x: 1 }, { x: 2 }, { x: 3 }])) check.next(e);
    expect(check.report).toMatchObject({ events: 3, chained: 3, firstBreak: null });
  });

  it('a changed payload breaks the chain at that event, with expected and found', () => {
    const events = chained('s-1', [{ x: 1 }, { x: 2 }, { x: 3 }]);
    events[1] = { ...events[1], data: { x: 20 } };
    const check = new StreamChainCheck('s-1');
    const findings = events.map((e) => check.next(e).status);
    expect(findings).toEqual(['ok', 'broken', 'after_break']);
    expect(check.report.firstBreak).toMatchObject({
      revision: 1,
      reason: 'mismatch',
      found: events[1].metadata.chain,
    });
    expect(check.report.firstBreak?.expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('events written before chaining are unchained, not broken; a missing chain after the start is a break', () => {
    const legacy = [event('l0', { x: 0 }), event('l1', { x: 1 })].map((e, revision) => ({
      ...e,
      revision,
    }));
    const rest = chained('s-1', [{ x: 2 }]).map((e) => ({ ...e, revision: 2 }));
    const check = new StreamChainCheck('s-1');
    expect([...legacy, ...rest].map((e) => check.next(e).status)).toEqual([
      'unchained',
      'unchained',
      'ok',
    ]);
    expect(check.next({ ...event('x', { x: 3 }), revision: 3 })).toMatchObject({
      status: 'broken',
      reason: 'missing',
    });
  });

  it('an event removed from the middle breaks the chain at the next one', () => {
    const events = chained('s-1', [{ x: 1 }, { x: 2 }, { x: 3 }]);
    const check = new StreamChainCheck('s-1');
    check.next(events[0]);
    expect(check.next(events[2]).status).toBe('broken');
  });
});
