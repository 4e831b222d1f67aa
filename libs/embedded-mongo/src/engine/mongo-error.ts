/** MongoDB's error codes and names for the failures this server reports. */
export const ErrorCodes = {
  BadValue: 2,
  Unauthorized: 13,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  ConflictingUpdateOperators: 40,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  InvalidIdField: 53,
  CommandNotSupported: 115,
  Location40573: 40573,
  Location40324: 40324,
  Location28745: 28745,
  Location28746: 28746,
  Location28747: 28747,
  Location28748: 28748,
  Location28749: 28749,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  InvalidBSON: 22,
  DollarPrefixedFieldName: 52,
  NotAReplicaSet: 123,
  CappedPositionLost: 136,
  DocumentValidationFailure: 121,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  ViewDepthLimitExceeded: 149,
  InvalidViewDefinition: 182,
  Location40415: 40415,
  Location40414: 40414,
  Location51024: 51024,
  NoSuchTransaction: 251,
} as const;

export type ErrorName = keyof typeof ErrorCodes;

/** An error answered to the client as `{ ok: 0, errmsg, code, codeName, ...extra }`. */
export class MongoCommandError extends Error {
  readonly code: number;
  readonly codeName: string;

  constructor(
    name: ErrorName,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.code = ErrorCodes[name];
    this.codeName = name;
  }

  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }
}

/** mingo reports bad queries, updates and pipelines as plain errors; MongoDB calls them BadValue. */
export function asCommandError(error: unknown): MongoCommandError {
  if (error instanceof MongoCommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/^Unknown update operator: '(\$[^']*)'/.test(message)) {
    const op = /'(\$[^']*)'/.exec(message)?.[1] ?? '';
    return new MongoCommandError(
      'FailedToParse',
      `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
    );
  }
  const unknownQuery = /^unknown query operator (\$\S+)/.exec(message);
  if (unknownQuery)
    return new MongoCommandError('BadValue', `unknown operator: ${unknownQuery[1]}`);
  if (/would modify the immutable field '_id'/.test(message)) {
    return new MongoCommandError('ImmutableField', message.replace(/\.$/, ''));
  }
  const unknownStage = /^(?:unknown|unregistered) pipeline operator:? '?(\$\w+)/i.exec(message);
  if (unknownStage) {
    return new MongoCommandError(
      'Location40324',
      `Unrecognized pipeline stage name: '${unknownStage[1]}'`,
    );
  }
  return new MongoCommandError('BadValue', message.replace(/^mingo: /, ''));
}
