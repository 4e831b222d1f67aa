import {
  createUpcast,
  CUSTOMER_EVENT_TYPES,
  SCHEMA_VERSION,
  SchemaVersionError,
  upcast,
} from '@app/domain';

describe('schema versions and upcasting', () => {
  it('writes every event type at version 1 today', () => {
    for (const type of CUSTOMER_EVENT_TYPES) expect(SCHEMA_VERSION[type]).toBe(1);
  });

  it('reads a current payload unchanged', () => {
    const data = { customerId: 'c-1', erasedAt: '2026-01-01T00:00:00Z' };
    expect(upcast('CustomerErased', 1, data)).toBe(data);
  });

  it('refuses a version newer than this code or an unknown type', () => {
    expect(() => upcast('CustomerErased', 2, {})).toThrow(SchemaVersionError);
    expect(() => upcast('CustomerErased', 0, {})).toThrow(SchemaVersionError);
    expect(() => upcast('SomethingElse', 1, {})).toThrow(/unknown customer event type/);
  });

  describe('with a registered upcaster chain', () => {
    // Example evolution: FeedbackGiven v1 {score} → v2 {rating} → v3 {rating, scale}.
    const versions = { ...SCHEMA_VERSION, FeedbackGiven: 3 };
    const upcastV3 = createUpcast(versions, {
      FeedbackGiven: {
        1: (data) => {
          const { score, ...rest } = data as { score: number };
          return { ...rest, rating: score };
        },
        2: (data) => ({ ...(data as object), scale: 5 }),
      },
    });

    it('lifts an old payload one version at a time to the current one', () => {
      expect(upcastV3('FeedbackGiven', 1, { customerId: 'c-1', score: 4 })).toEqual({
        customerId: 'c-1',
        rating: 4,
        scale: 5,
      });
      expect(upcastV3('FeedbackGiven', 2, { customerId: 'c-1', rating: 3 })).toEqual({
        customerId: 'c-1',
        rating: 3,
        scale: 5,
      });
    });

    it('leaves other types and current payloads alone', () => {
      const current = { customerId: 'c-1', rating: 2, scale: 5 };
      expect(upcastV3('FeedbackGiven', 3, current)).toBe(current);
      const other = { customerId: 'c-1', erasedAt: '2026-01-01T00:00:00Z' };
      expect(upcastV3('CustomerErased', 1, other)).toBe(other);
    });

    it('refuses a version step with no upcaster registered', () => {
      const gap = createUpcast(versions, { FeedbackGiven: { 2: (data) => data } });
      expect(() => gap('FeedbackGiven', 1, {})).toThrow(
        /no upcaster for FeedbackGiven from version 1/,
      );
    });
  });
});
