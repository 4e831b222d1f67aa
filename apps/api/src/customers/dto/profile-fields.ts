import { Optional } from '../../http/common-validators';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsString, Matches, MaxLength, MinLength } from 'class-validator';

/** Profile fields shared by registration and profile changes; name, e-mail and phone are stored encrypted. */
export class ProfileFieldsDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ format: 'email', maxLength: 254 })
  @Optional()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  email?: string;

  @ApiPropertyOptional({ example: '+44 20 7946 0958' })
  @Optional()
  @Matches(/^\+?[0-9][0-9 ().-]{3,28}[0-9]$/, {
    message: 'phone must be a phone number of digits, spaces, ( ) . - and an optional leading +',
  })
  phone?: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  region?: string;
}
