/** Store errors that mean "not now" rather than "never": a batch that met one is tried again as it is. */
const TRANSIENT_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoServerClosedError',
  'MongoTopologyClosedError',
  'MongoWriteConcernError',
  'MongoOperationTimeoutError',
  'MongoWaitQueueTimeoutError',
]);

const TRANSIENT_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'ResetPool'];

export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(error.name) || TRANSIENT_NAMES.has(error.constructor.name)) return true;
  const labelled = error as Error & { hasErrorLabel?(label: string): boolean };
  return TRANSIENT_LABELS.some((label) => labelled.hasErrorLabel?.(label) === true);
}
