import {
  customerStreamId,
  TOUCHPOINT_EVENT_NAMESPACE,
  touchpointEventId,
  touchpointKey,
  uuidV5,
} from '@app/domain';

const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const NAMESPACE_URL = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

describe('uuidV5', () => {
  it('matches the reference vectors of Python uuid.uuid5', () => {
    expect(uuidV5('python.org', NAMESPACE_DNS)).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(uuidV5('www.example.com', NAMESPACE_DNS)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5('http://python.org/', NAMESPACE_URL)).toBe(
      '4c565f0d-3f5a-5890-b41b-20cf47701c5e',
    );
  });

  it('hashes the name as UTF-8', () => {
    expect(uuidV5('café', NAMESPACE_DNS)).toBe(uuidV5('caf\u00e9', NAMESPACE_DNS));
    expect(uuidV5('café', NAMESPACE_DNS)).not.toBe(uuidV5('cafe\u0301', NAMESPACE_DNS));
  });

  it('accepts the namespace in upper case', () => {
    expect(uuidV5('python.org', NAMESPACE_DNS.toUpperCase())).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(/namespace must be a UUID/);
  });
});

describe('touchpointEventId', () => {
  it('gives a retry of the same touchpoint the same id', () => {
    expect(touchpointEventId('till-7', 'tp-1')).toBe(touchpointEventId('till-7', 'tp-1'));
  });

  it('is a version 5 RFC 4122 UUID in the project namespace', () => {
    const id = touchpointEventId('till-7', 'tp-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).toBe(uuidV5('till-7\u0000tp-1', TOUCHPOINT_EVENT_NAMESPACE));
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
