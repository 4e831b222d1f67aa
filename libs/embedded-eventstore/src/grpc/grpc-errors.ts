import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { ExpectedRevision } from '../store/event-store';

// Errors travel the way the reference server sends them: a gRPC status plus trailers whose
// `exception` key the client maps to its typed errors (StreamDeletedError, ...).
export function grpcError(
  code: status,
  details: string,
  trailers: Record<string, string> = {},
): ServiceError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  const error = new Error(details) as ServiceError;
  error.code = code;
  error.details = details;
  error.metadata = metadata;
  return error;
}

export function invalidArgument(details: string): ServiceError {
  return grpcError(status.INVALID_ARGUMENT, details);
}

export function streamDeletedError(streamName: string): ServiceError {
  return grpcError(status.FAILED_PRECONDITION, `Event stream '${streamName}' is deleted.`, {
    exception: 'stream-deleted',
    'stream-name': streamName,
  });
}

export function maxAppendSizeError(maxAppendSize: number): ServiceError {
  return grpcError(status.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendSize} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(maxAppendSize),
  });
}

export function requiredMetadataError(): ServiceError {
  return grpcError(status.INVALID_ARGUMENT, 'Required Metadata Properties Missing.', {
    exception: 'missing-required-metadata-property',
    'required-metadata-properties': 'type,content-type',
  });
}

// The reference server encodes expectations as numbers in these trailers: any = -2,
// no_stream = -1, stream_exists = -4.
export function expectedVersionNumber(expected: ExpectedRevision): string {
  if (expected === 'any') return '-2';
  if (expected === 'no_stream') return '-1';
  if (expected === 'stream_exists') return '-4';
  return expected.toString(10);
}

export function wrongExpectedVersionError(
  streamName: string,
  expected: ExpectedRevision,
  current: number | undefined,
): ServiceError {
  const trailers: Record<string, string> = {
    exception: 'wrong-expected-version',
    'stream-name': streamName,
    'expected-version': expectedVersionNumber(expected),
  };
  if (current !== undefined) trailers['actual-version'] = String(current);
  return grpcError(
    status.FAILED_PRECONDITION,
    `Append failed due to WrongExpectedVersion. Stream: ${streamName}, Expected version: ${expectedVersionNumber(expected)}, Actual version: ${current ?? -1}`,
    trailers,
  );
}
