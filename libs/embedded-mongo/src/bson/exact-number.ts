import { type Decimal128, type Long } from 'bson';

/**
 * A finite number as `m × 2^e2 × 10^e10` with an integer `m`: doubles, Longs and Decimal128s all
 * fit, so any two of them compare exactly. MongoDB compares numbers by value; a Double meets a
 * Decimal128 as the decimal its exact binary value rounds to at 34 digits, so Decimal128('0.1')
 * is not the Double 0.1 (0.1000000000000000055511151231257827 at 34 digits).
 */
interface Exact {
  m: bigint;
  e2: number;
  e10: number;
}

type Numeric = number | Long | Decimal128;

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bsonTypeOf(value: unknown): string | undefined {
  return value !== null && typeof value === 'object'
    ? (value as { _bsontype?: string })._bsontype
    : undefined;
}

/** A view value that MongoDB treats as a number: a JS number, a wide Long or an inexact Decimal128. */
export function isNumeric(value: unknown): value is Numeric {
  if (typeof value === 'number') return true;
  const type = bsonTypeOf(value);
  return type === 'Long' || type === 'Decimal128';
}

function exactOfDouble(n: number): Exact {
  if (Number.isInteger(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER) {
    return { m: BigInt(n), e2: 0, e10: 0 };
  }
  F64[0] = n;
  const hi = U32[LITTLE_ENDIAN ? 1 : 0];
  const lo = U32[LITTLE_ENDIAN ? 0 : 1];
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased !== 0) m |= 1n << 52n;
  if (hi >>> 31) m = -m;
  return { m, e2: (biased === 0 ? 1 : biased) - 1075, e10: 0 };
}

/** A decimal rounded to `digits` significant digits, half to even. */
function roundDecimal(x: Exact, digits: number): Exact {
  let c = x.m < 0n ? -x.m : x.m;
  let e10 = x.e10;
  const length = c.toString().length;
  if (length > digits) {
    const drop = length - digits;
    const unit = 10n ** BigInt(drop);
    const half = unit / 2n;
    const rest = c % unit;
    c /= unit;
    if (rest > half || (rest === half && c % 2n === 1n)) c += 1n;
    e10 += drop;
  }
  return { m: x.m < 0n ? -c : c, e2: 0, e10 };
}

/** A double's exact value as a decimal (`m × 10^e10`). */
function exactDecimalOfDouble(n: number): Exact {
  const x = exactOfDouble(n);
  return x.e2 >= 0
    ? { m: x.m << BigInt(x.e2), e2: 0, e10: 0 }
    : { m: x.m * 5n ** BigInt(-x.e2), e2: 0, e10: x.e2 };
}

/** The Decimal128 a double converts to when compared with one: 34 digits, half to even. */
function exactOfDoubleAsDecimal(n: number): Exact {
  return roundDecimal(exactDecimalOfDouble(n), 34);
}

const DECIMAL_TEXT = /^(-?)(\d*)(?:\.(\d*))?(?:E([+-]?\d+))?$/i;

/** Parses Decimal128 text ("1.0000000000000000001", "-1.5E+10"); undefined for NaN/Infinity. */
export function exactOfDecimalText(text: string): Exact | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}`;
  if (digits === '') return undefined;
  const m = BigInt(digits);
  return { m: sign === '-' ? -m : m, e2: 0, e10: Number(exponent) - fraction.length };
}

function isDecimal(value: Numeric): boolean {
  return typeof value !== 'number' && bsonTypeOf(value) === 'Decimal128';
}

function exactOf(value: Numeric, againstDecimal: boolean): Exact | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return againstDecimal ? exactOfDoubleAsDecimal(value) : exactOfDouble(value);
  }
  if (bsonTypeOf(value) === 'Long') return { m: BigInt(value.toString()), e2: 0, e10: 0 };
  return exactOfDecimalText(value.toString());
}

/** A double standing for a value that has no Exact form (NaN, ±Infinity). */
function specialOf(value: Numeric): number {
  return typeof value === 'number' ? value : Number(value.toString());
}

function scaled(x: Exact, e2: number, e10: number): bigint {
  return (x.m << BigInt(x.e2 - e2)) * 10n ** BigInt(x.e10 - e10);
}

function compareExact(x: Exact, y: Exact): number {
  const sx = x.m > 0n ? 1 : x.m < 0n ? -1 : 0;
  const sy = y.m > 0n ? 1 : y.m < 0n ? -1 : 0;
  if (sx !== sy || sx === 0) return sx - sy;
  const e2 = Math.min(x.e2, y.e2);
  const e10 = Math.min(x.e10, y.e10);
  const a = scaled(x, e2, e10);
  const b = scaled(y, e2, e10);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Exact numeric order, NaN first (MongoDB sorts NaN below every other number and treats NaN as
 * equal to NaN).
 */
export function compareNumeric(a: Numeric, b: Numeric): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
    if (Number.isNaN(b)) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const x = exactOf(a, isDecimal(b));
  const y = exactOf(b, isDecimal(a));
  if (x && y) return compareExact(x, y);
  const sa = x ? (x.m < 0n ? -1 : 1) : specialOf(a);
  const sb = y ? (y.m < 0n ? -1 : 1) : specialOf(b);
  if (Number.isNaN(sa)) return Number.isNaN(sb) ? 0 : -1;
  if (Number.isNaN(sb)) return 1;
  if (x) return sb > 0 ? -1 : 1;
  if (y) return sa > 0 ? 1 : -1;
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Whether this Decimal128 equals the double `n` by MongoDB's rule (then the double can stand in
 * for it in comparisons, and the hint keeps its digits).
 */
export function decimalFitsDouble(text: string, n: number): boolean {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? /nan/i.test(text) : /inf/i.test(text);
  const exact = exactOfDecimalText(text);
  return exact !== undefined && compareExact(exact, exactOfDoubleAsDecimal(n)) === 0;
}

/**
 * An equality key for a Decimal128 that no double can hold: integers share the digits-only key
 * that Longs and integral doubles get (`n…`); other values can equal no double or Long, so they
 * get their own prefix with trailing zeros removed (1.50 and 1.5 are one key).
 */
export function decimalKey(value: Decimal128): string {
  const exact = exactOfDecimalText(value.toString());
  if (!exact) return `n${value.toString()}`;
  let { m, e10 } = exact;
  if (m === 0n) return 'n0';
  while (m % 10n === 0n) {
    m /= 10n;
    e10++;
  }
  if (e10 >= 0) return `n${(m * 10n ** BigInt(e10)).toString()}`;
  return `N${m.toString()}e${e10}`;
}

/** An operand of decimal arithmetic: a Decimal128's text, an integer, or a double. */
export type DecimalOperand =
  | { kind: 'decimal'; text: string }
  | { kind: 'integer'; value: bigint }
  | { kind: 'double'; value: number };

function exactOfOperand(x: DecimalOperand): Exact | undefined {
  if (x.kind === 'decimal') return exactOfDecimalText(x.text);
  if (x.kind === 'integer') return { m: x.value, e2: 0, e10: 0 };
  // mongod turns a double into a decimal with 15 significant digits for arithmetic.
  return Number.isFinite(x.value) ? roundDecimal(exactDecimalOfDouble(x.value), 15) : undefined;
}

/**
 * `$inc` / `$mul` where a Decimal128 takes part: exact, rounded to Decimal128's 34 digits. Returns
 * the result as Decimal128 text, or undefined when an operand is NaN or infinite (the caller then
 * falls back to double arithmetic, which gives the same special value).
 */
export function decimalArithmetic(
  op: 'add' | 'multiply',
  a: DecimalOperand,
  b: DecimalOperand,
): string | undefined {
  const x = exactOfOperand(a);
  const y = exactOfOperand(b);
  if (!x || !y) return undefined;
  let result: Exact;
  if (op === 'multiply') {
    result = { m: x.m * y.m, e2: 0, e10: x.e10 + y.e10 };
  } else {
    const e10 = Math.min(x.e10, y.e10);
    result = { m: scaled(x, 0, e10) + scaled(y, 0, e10), e2: 0, e10 };
  }
  const rounded = roundDecimal(result, 34);
  return `${rounded.m.toString()}E${rounded.e10}`;
}
