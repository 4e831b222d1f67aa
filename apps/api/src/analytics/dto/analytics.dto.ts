import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches, MaxLength } from 'class-validator';
import { COMPLAINT_GROUPS, DIMENSIONS, INTERACTION_GROUPS } from '@app/read-models';
import { IsQueryInstant, OptionalCount, ReadQueryDto } from '../../http/read-query';

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
    description: 'Only customers whose current region is this one',
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

  @OptionalCount('limit', 0, 1000, 20, 'Customers listed per group')
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
  @OptionalCount('minDepartments', 2, 20, 2)
  minDepartments?: number;

  @OptionalCount('limit', 0, 1000, 20, 'Customers listed per group')
  limit?: number;
}
