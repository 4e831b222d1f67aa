import {
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
import { isMongoUnavailable } from './mongo';

describe('isMongoUnavailable', () => {
  it.each([
    ['a dropped connection', new MongoNetworkError('connection closed')],
    ['a socket timeout', new MongoNetworkTimeoutError('timed out')],
    [
      'no server selected in time',
      new MongoServerSelectionError(
        'connect ECONNREFUSED',
        {} as ConstructorParameters<typeof MongoServerSelectionError>[1],
      ),
    ],
    ['a client that is not connected', new MongoNotConnectedError('not connected')],
  ])('takes %s as an outage the caller may retry', (_what, error) => {
    expect(isMongoUnavailable(error)).toBe(true);
  });

  it.each([
    ['a duplicate key', new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' })],
    ['a plain error', new Error('connect ECONNREFUSED')],
  ])('does not take %s as an outage', (_what, error) => {
    expect(isMongoUnavailable(error)).toBe(false);
  });
});
