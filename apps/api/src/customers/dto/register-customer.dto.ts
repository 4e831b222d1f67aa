import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBusinessTime, Optional } from '../../http/common-validators';
import { CustomerId, Id } from '../../http/text-validators';
import { ProfileFieldsDto } from './profile-fields';

export class RegisterCustomerDto extends ProfileFieldsDto {
  @CustomerId()
  customerId!: string;

  @ApiPropertyOptional({ description: 'The emitting system; defaults to the API key role' })
  @Optional()
  @Id('source')
  source?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When the customer registered; default now',
  })
  @Optional()
  @IsBusinessTime()
  occurredAt?: string;
}
