import { CODE_PATTERN, customerIdProblem, isCurrencyCode } from '@app/domain';

describe('field formats', () => {
  it('a code is a letter, then letters, digits and _ - . : up to 64 characters', () => {
    for (const code of ['north', 'eu-west.nl', 'agent:a-17', 'L2', `a${'b'.repeat(63)}`]) {
      expect(CODE_PATTERN.test(code)).toBe(true);
    }
    for (const text of [
      '',
      '2nd',
      'North West',
      'jane@example.com',
      '+4420',
      `a${'b'.repeat(64)}`,
    ]) {
      expect(CODE_PATTERN.test(text)).toBe(false);
    }
  });

  it('a customer id that looks like an e-mail address or a phone number is named as such', () => {
    expect(customerIdProblem('jane.doe@example.com')).toMatch(/e-mail/);
    expect(customerIdProblem('020-7946-0958')).toMatch(/phone/);
    expect(customerIdProblem('00442079460958')).toMatch(/phone/);
    expect(customerIdProblem('+44 20 7946 0958')).toMatch(/phone/);
  });

  it('opaque ids pass: with letters, up to 6 digits, more digits than any phone number', () => {
    for (const id of ['c-42', 'cust-0044207946', '123456', '1234567890123456', 'a1b2c3d4']) {
      expect(customerIdProblem(id)).toBeUndefined();
    }
  });

  it('currencies are ISO 4217 codes in use', () => {
    expect(['EUR', 'USD', 'CHF', 'JPY'].every(isCurrencyCode)).toBe(true);
    expect(['ZZZ', 'XXX', 'eur', 'EURO'].some(isCurrencyCode)).toBe(false);
  });
});
