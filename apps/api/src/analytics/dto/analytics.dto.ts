import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, MaxLength, Min } from 'class-validator';
import { COMPLAINT_GROUPS, DIMENSIONS, INTERACTION_GROUPS } from '@app/read-models';
import { IsQueryInstant, ReadQueryDto } from '../../http/read-query';

export class MigrationDto extends ReadQueryDto {
  @ApiProperty({ enum: DIMENSIONS })
  @IsIn(DIMENSIONS, { message: `dimension must be one of ${DIMENSIONS.join(', ')}` })
  dimension!: (typeof DIMENSIONS)[number];

  @ApiProperty({ example: '2025-01-01' })
  @IsQueryInstant()
  from!: string;

  @ApiProperty({ example: '2026-01-01' })
  @IsQueryInstant()
  to!: string;

  @ApiPropertyOptional({
    description: 'Only customers of this region (their region while the level was held)',
  })
  @IsOptional()
  @MaxLength(100)
  region?: string;
}

export class AtDto extends ReadQueryDto {
  @ApiPropertyOptional({ description: 'The moment the report is for; default now' })
  @IsOptional()
  @IsQueryInstant()
  at?: string;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1000,
    default: 20,
    description: 'Customers listed per group',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(0, { message: 'limit must be at least 0' })
  @Max(1000, { message: 'limit must be at most 1000' })
  limit?: number;

  @ApiPropertyOptional({ description: 'Only customers of this region' })
  @IsOptional()
  @MaxLength(100)
  region?: string;
}

export class LifecycleDto extends AtDto {
  @ApiPropertyOptional({
    description: 'Start of the churn and retention period; default 90 days before `to`',
  })
  @IsOptional()
  @IsQueryInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'End of the period; default `at`' })
  @IsOptional()
  @IsQueryInstant()
  to?: string;
}

export class PeriodDto extends ReadQueryDto {
  @ApiPropertyOptional({ description: 'Facts at or after this moment' })
  @IsOptional()
  @IsQueryInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'Facts before this moment' })
  @IsOptional()
  @IsQueryInstant()
  to?: string;

  @ApiPropertyOptional({ description: 'Only touchpoints that name this region' })
  @IsOptional()
  @MaxLength(100)
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
  @ApiPropertyOptional({ minimum: 2, maximum: 20, default: 2 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'minDepartments must be a whole number' })
  @Min(2, { message: 'minDepartments must be at least 2' })
  @Max(20, { message: 'minDepartments must be at most 20' })
  minDepartments?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1000, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number' })
  @Min(0, { message: 'limit must be at least 0' })
  @Max(1000, { message: 'limit must be at most 1000' })
  limit?: number;
}
