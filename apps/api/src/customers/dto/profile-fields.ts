import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, Matches, MaxLength } from 'class-validator';
import { Optional } from '../../http/common-validators';
import { Code, IsCleanText, Text } from '../../http/text-validators';

/**
 * Profile fields shared by registration and profile changes; name, e-mail and phone are stored encrypted, the region
 * is a bounded code in clear (profiles are filtered and migration matrices cut by it).
 */
export class ProfileFieldsDto {
  @ApiPropertyOptional({
    maxLength: 200,
    description:
      'Stored encrypted; must show at least one visible character (no control or bidirectional characters)',
  })
  @Optional()
  @Text(200)
  name?: string;

  @ApiPropertyOptional({ format: 'email', maxLength: 254, description: 'Stored encrypted' })
  @Optional()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  @IsCleanText()
  email?: string;

  @ApiPropertyOptional({ example: '+44 20 7946 0958', description: 'Stored encrypted' })
  @Optional()
  @Matches(/^\+?[0-9][0-9 ().-]{3,28}[0-9]$/, {
    message: 'phone must be a phone number of digits, spaces, ( ) . - and an optional leading +',
  })
  phone?: string;

  @Code('Region (an analytics dimension)')
  @Optional()
  region?: string;
}
