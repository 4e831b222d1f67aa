import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class EraseCustomerDto {
  @ApiPropertyOptional({
    description:
      'Why (e.g. the request reference); stored in clear in the CustomerErased event, so no personal data here',
    example: 'GDPR art. 17 request #4711',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  reason?: string;
}
