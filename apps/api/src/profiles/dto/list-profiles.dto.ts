import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches, MaxLength } from 'class-validator';
import { ACCOUNT_SEGMENTS, LIFECYCLE_STAGES, VALUE_QUADRANTS } from '@app/domain';
import { OneOf } from '../../http/common-validators';
import { OptionalCount, PageCursor, ReadQueryDto, RegionFilter } from '../../http/read-query';

const LEVEL = /^[A-Za-z0-9][A-Za-z0-9 ._:-]*$/;

export class ListProfilesDto extends ReadQueryDto {
  @IsOptional()
  @OneOf(LIFECYCLE_STAGES)
  stage?: string;

  @ApiPropertyOptional({ description: 'A tier name of the rules file, e.g. gold' })
  @IsOptional()
  @MaxLength(100)
  @Matches(LEVEL, { message: 'tier must be a tier name' })
  tier?: string;

  @RegionFilter()
  region?: string;

  @IsOptional()
  @OneOf(VALUE_QUADRANTS)
  quadrant?: string;

  @IsOptional()
  @OneOf(ACCOUNT_SEGMENTS)
  account?: string;

  @OptionalCount('limit', 1, 500, 50)
  limit?: number;

  @PageCursor()
  cursor?: string;
}
