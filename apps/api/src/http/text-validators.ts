import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsString,
  Matches,
  MaxLength,
  MinLength,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';
import {
  CODE_MAX_LENGTH,
  CODE_PATTERN,
  CODE_RULE,
  CUSTOMER_ID_RULE,
  customerIdProblem,
  isCurrencyCode,
} from '@app/domain';

const LONE_SURROGATE = /\p{Cs}/u;
// What a decoder leaves for bytes that are not UTF-8: the characters are already lost.
const REPLACEMENT = '\uFFFD';
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_LINES = /(?![\t\n\r])\p{Cc}/u;
// Embeddings, overrides and isolates reorder what a reader sees (U+202E shows "exe.txt" as "txt.exe").
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
// Letters and symbols that render as nothing: Hangul fillers and the blank braille pattern.
const BLANK_LOOKALIKES = /[\u115F\u1160\u3164\uFFA0\u2800]/gu;

/**
 * What is wrong with a text value, if anything: lone surrogates, U+FFFD (invalid UTF-8 in the request), control
 * characters (tab and line breaks allowed in multi-line text), bidirectional controls, or nothing visible at all
 * (blank, zero-width characters only). The empty string is left to length rules.
 */
export function textProblem(
  value: string,
  options: { multiline?: boolean } = {},
): string | undefined {
  if (value === '') return undefined;
  if (LONE_SURROGATE.test(value)) return 'must not contain a lone UTF-16 surrogate';
  if (value.includes(REPLACEMENT)) {
    return 'must be valid UTF-8 (it holds U+FFFD, what is left of bytes that are not UTF-8)';
  }
  if ((options.multiline ? CONTROL_BUT_LINES : CONTROL).test(value)) {
    return options.multiline
      ? 'must not contain control characters other than tab and line breaks'
      : 'must not contain control characters (NUL, BEL, tab, line breaks...)';
  }
  if (BIDI_CONTROL.test(value)) {
    return 'must not contain bidirectional embedding, override or isolate characters (U+202A-U+202E, U+2066-U+2069)';
  }
  if (!VISIBLE.test(value.replace(BLANK_LOOKALIKES, ''))) {
    return 'must contain a visible character (not only spaces or invisible characters)';
  }
  return undefined;
}

/** A check of one string value; the message names the field. */
function StringRule(
  name: string,
  problem: (value: string) => string | undefined,
): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || problem(value) === undefined,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} ${problem(String(args.value)) ?? 'is invalid'}`,
      },
    });
  };
}

export const IsCleanText = (options: { multiline?: boolean } = {}) =>
  StringRule('isCleanText', (value) => textProblem(value, options));

/** Text of 1 to `max` characters that passes `textProblem`; `multiline` allows tab and line breaks. */
export const Text = (max: number, options: { multiline?: boolean } = {}) =>
  applyDecorators(IsString(), MinLength(1), MaxLength(max), IsCleanText(options));

/** Identifiers used in stream names and event ids: printable ASCII, no separators that could be abused. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
export const ID_MESSAGE = (field: string) =>
  `${field} may contain only letters, digits and . _ : @ - and must start with a letter or digit`;

export const Id = (field: string) =>
  applyDecorators(
    IsString(),
    MinLength(1),
    MaxLength(200),
    Matches(ID_PATTERN, { message: ID_MESSAGE(field) }),
  );

/** A customer id: an identifier that is not an e-mail address or a phone number. */
export const CustomerId = () =>
  applyDecorators(
    ApiProperty({
      maxLength: 200,
      description: `Opaque id of the customer: ${CUSTOMER_ID_RULE}; such ids are refused with 400`,
    }),
    Id('customerId'),
    StringRule('isOpaqueCustomerId', (value) => {
      const problem = customerIdProblem(value);
      return problem && `${CUSTOMER_ID_RULE}; this one ${problem}`;
    }),
  );

/** A bounded code in clear (see CODE_RULE in the domain), documented in OpenAPI with its pattern. */
export const Code = (description: string) =>
  applyDecorators(
    ApiPropertyOptional({
      description: `${description}; ${CODE_RULE}`,
      maxLength: CODE_MAX_LENGTH,
      pattern: CODE_PATTERN.source,
    }),
    IsString(),
    Matches(CODE_PATTERN, { message: (args) => `${args.property} must be ${CODE_RULE}` }),
  );

export const IsCurrencyCode = () =>
  applyDecorators(
    IsString(),
    StringRule('isCurrencyCode', (value) =>
      isCurrencyCode(value)
        ? undefined
        : 'must be an ISO 4217 currency code in use, such as EUR (ZZZ, XXX and the like are not currencies)',
    ),
  );
