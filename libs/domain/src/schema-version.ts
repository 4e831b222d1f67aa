import {
  CUSTOMER_EVENT_TYPES,
  type CustomerEventType,
  isCustomerEventType,
} from './customer.events';

/** The schema version written with new events of each type (metadata `schemaVersion`). */
export const SCHEMA_VERSION: Readonly<Record<CustomerEventType, number>> = Object.fromEntries(
  CUSTOMER_EVENT_TYPES.map((type) => [type, 1]),
) as Record<CustomerEventType, number>;

/** Turns the payload of version `n` into the payload of version `n + 1`. */
export type Upcaster = (data: unknown) => unknown;

/** For each event type, the upcaster that lifts a payload from the version used as key. */
export type UpcasterRegistry = Partial<
  Record<CustomerEventType, Readonly<Record<number, Upcaster>>>
>;

/**
 * Old payloads are upgraded on read, one version step at a time, so stored events are never
 * rewritten (DESIGN.md 4). A change to a payload bumps SCHEMA_VERSION and registers the step here.
 */
export const CUSTOMER_UPCASTERS: UpcasterRegistry = {};

/** Raised when a stored event cannot be read by this version of the code. */
export class SchemaVersionError extends Error {
  override readonly name = 'SchemaVersionError';
}

/** Lifts a stored payload of `type` written at `schemaVersion` to the current payload shape. */
export type Upcast = (type: string, schemaVersion: number, data: unknown) => unknown;

export function createUpcast(
  currentVersions: Readonly<Record<CustomerEventType, number>>,
  upcasters: UpcasterRegistry,
): Upcast {
  return (type, schemaVersion, data) => {
    if (!isCustomerEventType(type)) {
      throw new SchemaVersionError(`unknown customer event type "${type}"`);
    }
    const current = currentVersions[type];
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > current) {
      throw new SchemaVersionError(
        `${type} schema version ${schemaVersion} is not readable (current is ${current})`,
      );
    }
    let upgraded = data;
    for (let version = schemaVersion; version < current; version++) {
      const step = upcasters[type]?.[version];
      if (!step) {
        throw new SchemaVersionError(`no upcaster for ${type} from version ${version}`);
      }
      upgraded = step(upgraded);
    }
    return upgraded;
  };
}

/** Reads a stored payload of any known version as the current payload shape. */
export const upcast: Upcast = createUpcast(SCHEMA_VERSION, CUSTOMER_UPCASTERS);
