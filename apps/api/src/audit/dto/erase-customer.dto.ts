import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { Text } from '../../http/text-validators';

export class EraseCustomerDto {
  @ApiPropertyOptional({
    description:
      'Why (e.g. the request reference); stored in clear in the CustomerErased event, so no personal data here',
    example: 'GDPR art. 17 request #4711',
  })
  @IsOptional()
  @Text(200)
  reason?: string;
}
