/**
 * A bounded code (region, department, agent, product, complaint category...): kept in clear because analysts group
 * by it, so it must not be able to hold what is personal. A letter first, then letters, digits and `_ - . :`, at most
 * 64 characters: no `@` (no e-mail address), no `+`, spaces or leading digit (no phone number as people write one),
 * no spaces at all (no prose). A guard against personal data sent by mistake, not against a determined emitter.
 */
export const CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
export const CODE_MAX_LENGTH = 64;
export const CODE_RULE =
  'a bounded code: a letter, then letters, digits, _ - . or :, at most 64 characters (no spaces, no @)';

/** Phone numbers as people write them: digits with + ( ) . - or spaces. */
const PHONE_LIKE = /^\+?[0-9 ().-]+$/;
const PHONE_DIGITS = { min: 7, max: 15 };

/**
 * A customer id names the customer's stream, which outlives erasure: it must be opaque. One that looks like an e-mail
 * address or a phone number (7 to 15 digits, E.164's longest, with phone punctuation) is refused with the reason;
 * shorter or longer numbers and anything with a letter other than an address are fine.
 */
export function customerIdProblem(id: string): string | undefined {
  if (id.includes('@')) return 'looks like an e-mail address';
  if (PHONE_LIKE.test(id)) {
    const digits = id.replace(/[^0-9]/g, '').length;
    if (digits >= PHONE_DIGITS.min && digits <= PHONE_DIGITS.max)
      return 'looks like a phone number';
  }
  return undefined;
}

export const CUSTOMER_ID_RULE =
  'must be an opaque id, not an e-mail address or a phone number (it names the stream, which erasure keeps)';

// The runtime's ICU list of ISO 4217 codes in use (Node 20+); codes such as ZZZ or XXX are not currencies.
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export function isCurrencyCode(value: string): boolean {
  return CURRENCIES.has(value);
}
