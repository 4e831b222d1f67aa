import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import { CUSTOMER_EVENT_TYPES, TOUCHPOINT_KINDS } from '@app/domain';
import { OptionalInstant } from '../../http/read-query';
import { decodeHistoryCursor } from '../history-cursor';

/** What `kinds` may name: a touchpoint kind (`purchase`) or any event type (`TierChanged`). */
export const HISTORY_KINDS: readonly string[] = [...TOUCHPOINT_KINDS, ...CUSTOMER_EVENT_TYPES];

export const HISTORY_PAGE_DEFAULT = 100;
export const HISTORY_PAGE_MAX = 1000;

export class HistoryQueryDto {
  @OptionalInstant(
    'Only events whose business time (occurredAt) is at or after this moment',
    '2026-01-01T00:00:00Z',
  )
  from?: string;

  @OptionalInstant('Only events whose business time (occurredAt) is at or before this moment')
  @NotBefore('from')
  to?: string;

  @ApiPropertyOptional({
    description:
      'Comma-separated touchpoint kinds (purchase, complaint_opened, …) and/or event types (TierChanged, …)',
    example: 'purchase,refund,TierChanged',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').map((kind) => kind.trim()) : value,
  )
  @IsArray({ message: 'kinds must be a comma-separated list' })
  @ArrayMaxSize(HISTORY_KINDS.length, {
    message: `kinds may name at most ${HISTORY_KINDS.length} kinds`,
  })
  @IsIn(HISTORY_KINDS, {
    each: true,
    message: ({ value }: ValidationArguments) =>
      `kinds: ${unknownKinds(value)} is not a touchpoint kind (${TOUCHPOINT_KINDS.join(', ')}) or an event type`,
  })
  kinds?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: HISTORY_PAGE_MAX, default: HISTORY_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(HISTORY_PAGE_MAX, { message: `limit must be at most ${HISTORY_PAGE_MAX}` })
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @MaxLength(40)
  @IsHistoryCursor()
  cursor?: string;
}

function unknownKinds(value: unknown): string {
  const kinds = Array.isArray(value) ? value : [value];
  return kinds
    .filter((kind) => !HISTORY_KINDS.includes(String(kind)))
    .map((kind) => JSON.stringify(kind))
    .join(', ');
}

function IsHistoryCursor() {
  return function decorate(target: object, propertyName: string): void {
    registerDecorator({
      name: 'isHistoryCursor',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && decodeHistoryCursor(value) !== undefined,
        defaultMessage: () => 'cursor is not one this API gave out',
      },
    });
  };
}

/** The later end of a range: not before the property named `other` (when both are given). */
function NotBefore(other: string) {
  return function decorate(target: object, propertyName: string): void {
    registerDecorator({
      name: 'notBefore',
      target: target.constructor,
      propertyName,
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          const start = (args.object as Record<string, unknown>)[other];
          if (typeof value !== 'string' || typeof start !== 'string') return true;
          const [a, b] = [instantOf(start), instantOf(value)];
          return Number.isNaN(a) || Number.isNaN(b) || b >= a;
        },
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must not be before ${other}`,
      },
    });
  };
}

function instantOf(value: string): number {
  return Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
}
