import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { ID_MESSAGE, ID_PATTERN, IsBusinessTime, Optional } from '../../http/common-validators';
import { ProfileFieldsDto } from './profile-fields';

export class RegisterCustomerDto extends ProfileFieldsDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(ID_PATTERN, { message: ID_MESSAGE('customerId') })
  customerId!: string;

  @ApiPropertyOptional({ description: 'The emitting system; defaults to the API key role' })
  @Optional()
  @IsString()
  @MaxLength(200)
  @Matches(ID_PATTERN, { message: ID_MESSAGE('source') })
  source?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When the customer registered; default now',
  })
  @Optional()
  @IsBusinessTime()
  occurredAt?: string;
}
