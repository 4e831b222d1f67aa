import { ApiProperty } from '@nestjs/swagger';
import { IsBusinessTime } from '../../http/common-validators';

export class RunReviewDto {
  @ApiProperty({
    example: '2026-03-01T00:00:00Z',
    description:
      'Every transition due at or before this moment is appended, each effective when its rule says',
  })
  @IsBusinessTime()
  asOf!: string;
}
