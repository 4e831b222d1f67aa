import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, MaxLength } from 'class-validator';
import { IsBusinessTime } from '../../http/common-validators';

export class AsOfQueryDto {
  @ApiProperty({
    description: 'Business time: the state as it was at this moment',
    example: '2026-02-28T23:59:59Z',
  })
  @MaxLength(40)
  @IsBusinessTime()
  at!: string;

  @ApiPropertyOptional({
    description:
      'Use only events recorded (metadata.recordedAt) by this moment: what was believed then. Default: now',
    example: '2026-03-01T00:00:00Z',
  })
  @IsOptional()
  @MaxLength(40)
  @IsBusinessTime()
  knownAt?: string;
}
