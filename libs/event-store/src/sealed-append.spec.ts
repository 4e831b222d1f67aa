import { randomBytes } from 'node:crypto';
import { PersonalDataErasedError } from './errors';
import { chainGenesis, StreamChainCheck } from './hash-chain';
import { decryptField, isEncrypted } from './personal-data';
import { type AppendInput, sealAndChain } from './sealed-append';

const context = { actor: 'ingest:till-7', source: 'till', correlationId: 'corr-1' };

function input(eventId: string, data: Record<string, unknown>, personal: boolean): AppendInput {
  return {
    type: 'NoteTaken',
    data,
    eventId,
    context,
    occurredAt: '2026-01-02T03:04:05.000Z',
    schemaVersion: 2,
    personalPaths: ['note'],
    personal,
  };
}

const options = (key: Buffer | null | undefined, chain: string | undefined) => ({
  key,
  needsKey: true,
  chain,
  appendId: 'append-1',
  recordedAt: '2026-11-26T00:00:00.000Z',
});

describe(sealAndChain.name, () => {
  const key = randomBytes(32);
  const inputs = [
    input('e1', { note: 'call back at 6', n: 1 }, true),
    input('e2', { n: 2 }, false),
  ];

  it('seals the personal fields with the entity key, bound to the entity, and leaves the others in clear', () => {
    const { events } = sealAndChain('c-1', inputs, options(key, undefined));
    const note = events[0].data.note;
    expect(isEncrypted(note)).toBe(true);
    expect(decryptField(key, 'c-1', 'note', note as string)).toBe('call back at 6');
    expect(() => decryptField(key, 'c-2', 'note', note as string)).toThrow();
    expect(events[0].data.n).toBe(1);
    expect(events[1].data).toEqual({ n: 2 });
  });

  it('writes the envelope: context, moments, schema version and the append id on every event', () => {
    const { events } = sealAndChain('c-1', inputs, options(key, undefined));
    expect(events.map((event) => event.metadata)).toEqual([
      expect.objectContaining({
        eventId: 'e1',
        appendId: 'append-1',
        causationId: null,
        schemaVersion: 2,
      }),
      expect.objectContaining({ eventId: 'e2', appendId: 'append-1', actor: 'ingest:till-7' }),
    ]);
    expect(events[0].metadata).not.toHaveProperty('chain');
  });

  it('chains each event to the one before it, from the given start, as a chain check verifies', () => {
    const genesis = chainGenesis('customer-c-1');
    const { events, chain } = sealAndChain('c-1', inputs, options(key, genesis));
    const check = new StreamChainCheck('customer-c-1');
    events.forEach((event, revision) =>
      expect(
        check.next({
          eventId: event.id,
          type: event.type,
          data: event.data,
          metadata: event.metadata as unknown as Record<string, unknown>,
          revision,
        }),
      ).toEqual({ status: 'ok' }),
    );
    expect(chain).toBe(events[1].metadata.chain);
    expect(events[0].metadata.chain).not.toBe(events[1].metadata.chain);
  });

  it('refuses personal data when the key is gone (erased), but not events without any', () => {
    expect(() => sealAndChain('c-1', inputs, options(null, undefined))).toThrow(
      PersonalDataErasedError,
    );
    const { events } = sealAndChain('c-1', [inputs[1]], options(null, undefined));
    expect(events[0].data).toEqual({ n: 2 });
  });
});
