import { applyDecorators } from '@nestjs/common';
import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { RequestValidationError } from './validation';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Query parameters every read route accepts. */
export class ReadQueryDto {
  // Read and checked by the MinPositionInterceptor (WaitsForReadModels), which also documents it.
  @ApiHideProperty()
  @IsOptional()
  @MaxLength(20)
  @Matches(/^\d+$/, { message: 'minPosition must be a non-negative integer (a commit position)' })
  minPosition?: string;
}

/** An ISO-8601 date or instant for a query, e.g. `2026-03-01` or `2026-03-01T10:00:00Z`. */
export function IsQueryInstant() {
  return Matches(ISO_INSTANT, {
    message: ({ property }) =>
      `${property} must be an ISO-8601 date or date-time with a zone, e.g. 2026-03-01 or 2026-03-01T10:00:00Z`,
  });
}

/** Parses a validated query instant; a date without a time is midnight UTC. */
export function queryInstant(value: string | undefined, field: string, fallback: Date): Date {
  if (value === undefined) return fallback;
  const time = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(time)) {
    throw new RequestValidationError([{ field, message: `${field} is not a real date` }]);
  }
  return new Date(time);
}

/** Opaque page cursors: the last id of the previous page. */
export function encodeCursor(id: string | null): string | null {
  return id === null ? null : Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (id.length === 0 || Buffer.from(id, 'utf8').toString('base64url') !== cursor) {
    throw new RequestValidationError([
      { field: 'cursor', message: 'cursor is not one this API gave out' },
    ]);
  }
  return id;
}

/** The optional `cursor` of a paged read: the nextCursor of the previous page. */
export const PageCursor = () =>
  applyDecorators(
    ApiPropertyOptional({ description: 'nextCursor of the previous page' }),
    IsOptional(),
    MaxLength(400),
  );

/** An optional whole-number query parameter within bounds, e.g. `limit`. */
export function OptionalCount(
  field: string,
  min: number,
  max: number,
  fallback: number,
  description?: string,
) {
  return applyDecorators(
    ApiPropertyOptional({ minimum: min, maximum: max, default: fallback, description }),
    IsOptional(),
    Type(() => Number),
    IsInt({ message: `${field} must be a whole number` }),
    Min(min, { message: `${field} must be at least ${min}` }),
    Max(max, { message: `${field} must be at most ${max}` }),
  );
}

/** An optional query instant, e.g. `from`: documented, bounded in length, checked by IsQueryInstant. */
export const OptionalInstant = (description: string, example?: string) =>
  applyDecorators(
    ApiPropertyOptional({ description, example }),
    IsOptional(),
    MaxLength(40),
    IsQueryInstant(),
  );

/** An optional `region` filter: a region as the read models store it. */
export const RegionFilter = (description?: string) =>
  applyDecorators(ApiPropertyOptional({ description }), IsOptional(), MaxLength(100));
