import { type Document } from 'bson';
import { MongoCommandError } from './mongo-error';

/** mongod's error for a field of the wrong BSON type. */
export function wrongType(path: string, value: unknown, expected: string): MongoCommandError {
  const actual = Array.isArray(value) ? 'array' : typeof value;
  return new MongoCommandError(
    'TypeMismatch',
    `BSON field '${path}' is the wrong type '${actual}', expected type '${expected}'`,
  );
}

/** A string option limited to some values (mongod's enumerations), `fallback` when absent. */
export function enumValue(
  options: Document,
  field: string,
  allowed: readonly string[],
  fallback: string,
  path = field,
): string {
  const value: unknown = options[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw wrongType(path, value, 'string');
  if (!allowed.includes(value)) {
    throw new MongoCommandError(
      'BadValue',
      `Enumeration value '${value}' for field '${path}' is not a valid value.`,
    );
  }
  return value;
}
