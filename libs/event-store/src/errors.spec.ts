import {
  DeadlineExceededError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { isEventStoreUnavailable } from './errors';

function serviceError(code: status): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: No connection established`), {
    code,
    details: 'No connection established',
    metadata: new Metadata(),
  });
}

describe('isEventStoreUnavailable', () => {
  const raw = serviceError(status.UNAVAILABLE);

  it.each([
    ['UnavailableError', new UnavailableError(raw)],
    ['DeadlineExceededError', new DeadlineExceededError(raw)],
    ['TimeoutError (ABORTED)', new TimeoutError(raw)],
    ['a raw gRPC UNAVAILABLE (the server-features probe)', serviceError(status.UNAVAILABLE)],
    ['a raw gRPC DEADLINE_EXCEEDED', serviceError(status.DEADLINE_EXCEEDED)],
  ])('takes %s as an outage the caller may retry', (_what, error) => {
    expect(isEventStoreUnavailable(error)).toBe(true);
  });

  it.each([
    ['a stream that does not exist', new StreamNotFoundError(raw)],
    [
      'a wrong expected revision',
      new WrongExpectedVersionError(undefined, {
        streamName: 'customer-1',
        current: BigInt(3),
        expected: BigInt(2),
      }),
    ],
    ['a raw gRPC PERMISSION_DENIED', serviceError(status.PERMISSION_DENIED)],
    ['an error that only has code 14', Object.assign(new Error('x'), { code: 14 })],
    ['nothing', undefined],
  ])('does not take %s as an outage', (_what, error) => {
    expect(isEventStoreUnavailable(error)).toBe(false);
  });
});
