import { Decimal128, Long } from 'bson';
import { compareNumeric, decimalFitsDouble, decimalKey } from './exact-number';

const dec = (text: string): Decimal128 => Decimal128.fromString(text);

describe('exact-number', () => {
  it('tells Decimal128 values apart beyond the 17 digits a double keeps', () => {
    expect(compareNumeric(dec('1.0000000000000000001'), 1)).toBe(1);
    expect(compareNumeric(dec('1.0000000000000000001'), dec('1'))).toBe(1);
    expect(compareNumeric(dec('0.9999999999999999999'), dec('1'))).toBe(-1);
    expect(compareNumeric(dec('1.000'), dec('1'))).toBe(0);
  });

  it('compares a Double with a Decimal128 as the double rounded to 34 decimal digits', () => {
    expect(compareNumeric(dec('0.1'), 0.1)).toBe(-1);
    expect(compareNumeric(0.1, dec('0.1'))).toBe(1);
    expect(compareNumeric(dec('0.1000000000000000055511151231257827'), 0.1)).toBe(0);
    expect(decimalFitsDouble('0.1', 0.1)).toBe(false);
    expect(decimalFitsDouble('0.1000000000000000055511151231257827', 0.1)).toBe(true);
    expect(decimalFitsDouble('5.00', 5)).toBe(true);
    expect(decimalFitsDouble('-0.5', -0.5)).toBe(true);
    expect(decimalFitsDouble('1E+400', Infinity)).toBe(false);
  });

  it('compares Longs beyond 2^53 exactly with doubles and decimals', () => {
    const wide = Long.fromString('9007199254740993');
    expect(compareNumeric(wide, 9007199254740992)).toBe(1);
    expect(compareNumeric(wide, 9007199254740994)).toBe(-1);
    expect(compareNumeric(dec('9007199254740993'), wide)).toBe(0);
  });

  it('orders NaN first and infinities around every finite decimal', () => {
    expect(compareNumeric(NaN, dec('-1E+6144'))).toBe(-1);
    expect(compareNumeric(NaN, NaN)).toBe(0);
    expect(compareNumeric(dec('1E+6144'), Infinity)).toBe(-1);
    expect(compareNumeric(dec('-1E+6144'), -Infinity)).toBe(1);
  });

  it('gives equal decimals one key, integral ones the key a Long gets', () => {
    expect(decimalKey(dec('1.50'))).toBe(decimalKey(dec('1.5')));
    expect(decimalKey(dec('1.5'))).not.toBe(decimalKey(dec('1.50000000000000000001')));
    expect(decimalKey(dec('9007199254740993'))).toBe('n9007199254740993');
    expect(decimalKey(dec('1.00E+2'))).toBe('n100');
  });
});
