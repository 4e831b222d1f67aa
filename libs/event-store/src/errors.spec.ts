import {
  DeadlineExceededError,
  NotLeaderError,
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

/** What a follower answers a leader-only call with: NOT_FOUND and the `not-leader` exception naming the leader. */
function notLeaderStatus(): ServiceError {
  const metadata = new Metadata();
  metadata.set('exception', 'not-leader');
  metadata.set('leader-endpoint-host', 'es2');
  metadata.set('leader-endpoint-port', '2113');
  return Object.assign(new Error('5 NOT_FOUND: Leader info available'), {
    code: status.NOT_FOUND,
    details: 'Leader info available',
    metadata,
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
    [
      'NotLeaderError (a follower answered: the leader moved)',
      new NotLeaderError(notLeaderStatus()),
    ],
    ['a raw gRPC not-leader status', notLeaderStatus()],
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
    ['a raw gRPC NOT_FOUND without the not-leader exception', serviceError(status.NOT_FOUND)],
    ['an error that only has code 14', Object.assign(new Error('x'), { code: 14 })],
    ['nothing', undefined],
  ])('does not take %s as an outage', (_what, error) => {
    expect(isEventStoreUnavailable(error)).toBe(false);
  });
});
