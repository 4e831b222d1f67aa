import {
  MongoBulkWriteError,
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
    [
      'a bulk write that reached no server (the driver drops the network error it wraps)',
      new MongoBulkWriteError(
        new MongoNetworkError('connect ECONNREFUSED'),
        {} as ConstructorParameters<typeof MongoBulkWriteError>[1],
      ),
    ],
    ...[
      ['NotWritablePrimary', 10107],
      ['NotPrimaryNoSecondaryOk', 13435],
      ['NotPrimaryOrSecondary', 13436],
      ['PrimarySteppedDown', 189],
      ['InterruptedDueToReplStateChange', 11602],
      ['ShutdownInProgress', 91],
      ['InterruptedAtShutdown', 11600],
    ].map(([name, code]): [string, Error] => [
      `a replica set member answering ${name} (an election)`,
      new MongoServerError({ code, codeName: name, errmsg: String(name) }),
    ]),
  ])('takes %s as an outage the caller may retry', (_what, error) => {
    expect(isMongoUnavailable(error)).toBe(true);
  });

  it.each([
    ['a duplicate key', new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' })],
    ['a plain error', new Error('connect ECONNREFUSED')],
    [
      'a bulk write refused document by document',
      new MongoBulkWriteError(
        {
          message: 'E11000',
          code: 11000,
          writeErrors: [{ index: 0, code: 11000, errmsg: 'E11000' }],
        } as unknown as ConstructorParameters<typeof MongoBulkWriteError>[0],
        {} as ConstructorParameters<typeof MongoBulkWriteError>[1],
      ),
    ],
  ])('does not take %s as an outage', (_what, error) => {
    expect(isMongoUnavailable(error)).toBe(false);
  });
});
