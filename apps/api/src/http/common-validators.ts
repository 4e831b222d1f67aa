import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsNumber,
  Max,
  Min,
  registerDecorator,
  ValidateIf,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { ID_MESSAGE, ID_PATTERN, textProblem } from './text-validators';
import { RequestValidationError } from './validation';

/** How far ahead of the server's clock an emitter's business time may be. */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;

// Hours 00-23 (Date.parse takes T24:00 as the next midnight), minutes and seconds 00-59, offsets up to ±14:00.
const ISO_INSTANT =
  /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

/** A full ISO-8601 instant with a zone, a real calendar date, not in the future beyond clock skew. */
export function IsBusinessTime(options?: ValidationOptions) {
  return function decorate(target: object, propertyName: string): void {
    registerDecorator({
      name: 'isBusinessTime',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate(value: unknown): boolean {
          return describeTimeProblem(value) === undefined;
        },
        defaultMessage(args: ValidationArguments): string {
          return `${args.property} ${describeTimeProblem(args.value) ?? 'is invalid'}`;
        },
      },
    });
  };
}

function describeTimeProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value)) {
    return 'must be an ISO-8601 date-time with a time zone, e.g. 2026-03-01T10:15:00Z';
  }
  const time = Date.parse(value);
  if (Number.isNaN(time) || !sameCalendarDate(value, time)) return 'is not a real calendar date';
  if (time < Date.UTC(1970, 0, 1)) return 'must not be before 1970';
  if (time > Date.now() + CLOCK_SKEW_MS) return 'must not be in the future';
  return undefined;
}

/** Date.parse rolls 2026-02-30 over to March; such dates are refused rather than moved. */
function sameCalendarDate(text: string, _time: number): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number);
  const probe = new Date(Date.UTC(year, month - 1, day));
  return (
    probe.getUTCFullYear() === year &&
    probe.getUTCMonth() === month - 1 &&
    probe.getUTCDate() === day
  );
}

/** A customer id taken from a route path, checked like the ids in bodies. */
export function customerIdParam(id: string): string {
  if (id.length > 200 || !ID_PATTERN.test(id)) {
    throw new RequestValidationError([{ field: 'id', message: ID_MESSAGE('customer id') }]);
  }
  return id;
}

/** A flat object of at most `maxKeys` string/number/boolean values. */
export function IsFlatAttributes(maxKeys: number, options?: ValidationOptions) {
  return function decorate(target: object, propertyName: string): void {
    registerDecorator({
      name: 'isFlatAttributes',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value);
          return (
            entries.length <= maxKeys &&
            entries.every(
              ([key, item]) =>
                key.length > 0 &&
                key.length <= 100 &&
                textProblem(key) === undefined &&
                (typeof item === 'boolean' ||
                  (typeof item === 'number' && Number.isFinite(item)) ||
                  (typeof item === 'string' &&
                    item.length <= 1000 &&
                    textProblem(item, { multiline: true }) === undefined)),
            )
          );
        },
        defaultMessage(args: ValidationArguments): string {
          return `${args.property} must be an object of at most ${maxKeys} keys (1-100 characters) with string (up to 1000 characters), number or boolean values; keys and strings must be clean text (valid UTF-8, no control or bidirectional characters, something visible)`;
        },
      },
    });
  };
}

/**
 * An optional field: absent is fine, `null` is not. class-validator's IsOptional also lets null through, which
 * would turn `{"email": null}` into a silent no-op instead of an error naming the field.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/** One value of a closed list, documented as an enum; the message names the field and every allowed value. */
export const OneOf = (
  values: readonly string[],
  doc: { required?: boolean; description?: string } = {},
) =>
  applyDecorators(
    (doc.required ? ApiProperty : ApiPropertyOptional)({
      enum: values,
      description: doc.description,
    }),
    IsIn(values, { message: ({ property }) => `${property} must be one of ${values.join(', ')}` }),
  );

/** A whole number from `min` to `max`, documented with its bounds. */
export const WholeNumber = (min: number, max: number, description?: string) =>
  applyDecorators(
    ApiPropertyOptional({ minimum: min, maximum: max, description }),
    IsInt(),
    Min(min),
    Max(max),
  );

/** A finite number (no NaN or Infinity) from `min` to `max`, documented with its bounds. */
export const FiniteNumber = (
  min: number,
  max: number,
  description?: string,
  options: { maxDecimalPlaces?: number } = {},
) =>
  applyDecorators(
    ApiPropertyOptional({ minimum: min, maximum: max, description }),
    IsNumber({ allowNaN: false, allowInfinity: false, ...options }),
    Min(min),
    Max(max),
  );
