import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { COMPLAINT_GROUPS, DIMENSIONS, INTERACTION_GROUPS } from '@app/read-models';
import { OneOf } from '../../http/common-validators';
import {
  IsQueryInstant,
  OptionalCount,
  OptionalInstant,
  PageCursor,
  ReadQueryDto,
  RegionFilter,
} from '../../http/read-query';

export class MigrationDto extends ReadQueryDto {
  @OneOf(DIMENSIONS, { required: true })
  dimension!: (typeof DIMENSIONS)[number];

  @ApiProperty({ example: '2025-01-01' })
  @IsQueryInstant()
  from!: string;

  @ApiProperty({ example: '2026-01-01' })
  @IsQueryInstant()
  to!: string;

  @RegionFilter('Only customers whose current region is this one')
  region?: string;
}

const LEVEL = /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,99}$/;

/** A level of the dimension (a tier name of the rules file, a stage, quadrant or segment) or `none`. */
const Level = (field: string, moment: string) =>
  applyDecorators(
    ApiProperty({ description: `The level at \`${moment}\`, or none`, example: 'gold' }),
    Matches(LEVEL, { message: `${field} must be a level name or none` }),
  );

export class MigrationCustomersDto extends MigrationDto {
  @Level('fromLevel', 'from')
  fromLevel!: string;

  @Level('toLevel', 'to')
  toLevel!: string;

  @OptionalCount('limit', 1, 500, 50)
  limit?: number;

  @PageCursor()
  cursor?: string;
}

export class AtDto extends ReadQueryDto {
  @OptionalInstant('The moment the report is for; default now')
  at?: string;

  @OptionalCount('limit', 0, 1000, 20, 'Customers listed per group')
  limit?: number;

  @RegionFilter('Only customers of this region')
  region?: string;
}

export class LifecycleDto extends AtDto {
  @OptionalInstant('Start of the churn and retention period; default 90 days before `to`')
  from?: string;

  @OptionalInstant('End of the period; default `at`')
  to?: string;
}

export class PeriodDto extends ReadQueryDto {
  @OptionalInstant('Facts at or after this moment')
  from?: string;

  @OptionalInstant('Facts before this moment')
  to?: string;

  @RegionFilter('Only touchpoints that name this region')
  region?: string;
}

const groupList = (names: readonly string[]) =>
  new RegExp(`^(${names.join('|')})(,(${names.join('|')})){0,3}$`);

export class InteractionsDto extends PeriodDto {
  @ApiPropertyOptional({
    description: `Comma-separated, up to 4 of: ${Object.keys(INTERACTION_GROUPS).join(', ')}; default channel,direction`,
  })
  @IsOptional()
  @Matches(groupList(Object.keys(INTERACTION_GROUPS)), {
    message: `groupBy must be up to 4 of ${Object.keys(INTERACTION_GROUPS).join(', ')}, comma-separated`,
  })
  groupBy?: string;
}

export class ComplaintsDto extends PeriodDto {
  @ApiPropertyOptional({
    description: `Comma-separated, up to 4 of: ${Object.keys(COMPLAINT_GROUPS).join(', ')}; default category`,
  })
  @IsOptional()
  @Matches(groupList(Object.keys(COMPLAINT_GROUPS)), {
    message: `groupBy must be up to 4 of ${Object.keys(COMPLAINT_GROUPS).join(', ')}, comma-separated`,
  })
  groupBy?: string;
}

export class ContactPressureDto extends PeriodDto {
  @OptionalCount('minDepartments', 2, 20, 2)
  minDepartments?: number;

  @OptionalCount('limit', 0, 1000, 20, 'Customers listed per group')
  limit?: number;
}
