import { customerStreamId, touchpointEventId, touchpointKey } from '@app/domain';

describe('touchpointEventId', () => {
  it('gives a retry of the same touchpoint the same id', () => {
    expect(touchpointEventId('till-7', 'tp-1')).toBe(touchpointEventId('till-7', 'tp-1'));
  });

  // Ids of stored events must never change: a changed namespace, separator or hash would make every retry of an
  // old touchpoint a new event. The expected values come from Python's uuid.uuid5, not from this code.
  it('is the RFC 9562 version 5 UUID of source NUL touchpointId in the project namespace', () => {
    const id = touchpointEventId('till-7', 'tp-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).toBe('6877eb05-8a75-57c6-993b-34e8bf4fa3e5');
  });

  it('hashes source and id as UTF-8 (latin1 would give f1290913-…)', () => {
    expect(touchpointEventId('caf\u00e9-till', 't\u00fcte-1')).toBe(
      'fd0c6a31-f4c3-52d3-a69f-a296526d4ff4',
    );
  });

  it('keeps sources apart even when source and id concatenate to the same text', () => {
    expect(touchpointEventId('a-b', 'c')).not.toBe(touchpointEventId('a', 'b-c'));
    expect(touchpointEventId('till-7', 'tp-1')).not.toBe(touchpointEventId('till-8', 'tp-1'));
    expect(touchpointKey('a-b', 'c')).not.toBe(touchpointKey('a', 'b-c'));
  });
});

describe('customerStreamId', () => {
  it('names one stream per customer', () => {
    expect(customerStreamId('c-42')).toBe('customer-c-42');
  });
});
