import { StoreUnavailableError, storeUnavailable } from './store-unavailable';

/** What the event store client rejects with when the server-features probe finds no server (a raw gRPC status). */
function grpcUnavailable(): Error {
  return Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
    code: 14,
    details: 'No connection established',
    metadata: {},
  });
}

describe('storeUnavailable', () => {
  it('names the event store behind a raw gRPC UNAVAILABLE, also as the cause of another error', () => {
    const direct = storeUnavailable(grpcUnavailable());
    expect(direct).toBeInstanceOf(StoreUnavailableError);
    expect(direct).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: 'The event store is not reachable right now; retry shortly',
    });
    const wrapped = new Error('loading the stream failed', { cause: grpcUnavailable() });
    expect(storeUnavailable(wrapped)?.message).toBe(direct?.message);
  });

  it('keeps a StoreUnavailableError as it is', () => {
    const outage = new StoreUnavailableError('MongoDB is not reachable right now; retry shortly');
    expect(storeUnavailable(outage)).toBe(outage);
  });

  it('is undefined for anything else', () => {
    expect(storeUnavailable(new Error('boom'))).toBeUndefined();
    expect(storeUnavailable(Object.assign(new Error('x'), { code: 14 }))).toBeUndefined();
    expect(storeUnavailable('not an error')).toBeUndefined();
  });
});
