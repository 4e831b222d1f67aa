import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches, MaxLength } from 'class-validator';
import { ACCOUNT_SEGMENTS, LIFECYCLE_STAGES, VALUE_QUADRANTS } from '@app/domain';
import { OptionalCount, ReadQueryDto } from '../../http/read-query';

const LEVEL = /^[A-Za-z0-9][A-Za-z0-9 ._:-]*$/;

export class ListProfilesDto extends ReadQueryDto {
  @ApiPropertyOptional({ enum: LIFECYCLE_STAGES })
  @IsOptional()
  @IsIn(LIFECYCLE_STAGES, { message: `stage must be one of ${LIFECYCLE_STAGES.join(', ')}` })
  stage?: string;

  @ApiPropertyOptional({ description: 'A tier name of the rules file, e.g. gold' })
  @IsOptional()
  @MaxLength(100)
  @Matches(LEVEL, { message: 'tier must be a tier name' })
  tier?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @MaxLength(100)
  region?: string;

  @ApiPropertyOptional({ enum: VALUE_QUADRANTS })
  @IsOptional()
  @IsIn(VALUE_QUADRANTS, { message: `quadrant must be one of ${VALUE_QUADRANTS.join(', ')}` })
  quadrant?: string;

  @ApiPropertyOptional({ enum: ACCOUNT_SEGMENTS })
  @IsOptional()
  @IsIn(ACCOUNT_SEGMENTS, { message: `account must be one of ${ACCOUNT_SEGMENTS.join(', ')}` })
  account?: string;

  @OptionalCount('limit', 1, 500, 50)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @MaxLength(400)
  cursor?: string;
}
