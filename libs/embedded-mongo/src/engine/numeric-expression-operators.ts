import { Decimal128, Long } from 'bson';
import { compareValues, hintsOf, isPlainObject } from '../bson/bson-values';
import { compareNumeric, decimalArithmetic, isNumeric } from '../bson/exact-number';
import { collationOf, hasString } from './collation';
import { type NumberType, numberTypeOf } from './numeric-query-operators';

type ExpressionOperator = (obj: unknown, expr: unknown, options: unknown) => unknown;
type Accumulator = (collection: unknown[], expr: unknown, options: unknown) => unknown;

// mingo's public subpath exports, invisible to the project's node10 type resolution.
/* eslint-disable @typescript-eslint/no-require-imports */
const EXPRESSION = require('mingo/operators/expression') as Record<string, ExpressionOperator>;
const ACCUMULATOR = require('mingo/operators/accumulator') as Record<string, Accumulator>;
const { evalExpr } = require('mingo/core') as {
  evalExpr: (obj: unknown, expr: unknown, options: unknown) => unknown;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const DOUBLES = new WeakMap<object, unknown>();

/**
 * The value with wide Longs and inexact Decimal128s as doubles. mingo's arithmetic takes only JS
 * numbers, so pipeline arithmetic on those values runs in doubles (MongoDB would keep Decimal128
 * arithmetic decimal: a known gap, see the README).
 */
function asDoubles(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isNumeric(value)) return Number(value.toString());
  const cached = DOUBLES.get(value);
  if (cached !== undefined) return cached;
  let out: unknown = value;
  if (Array.isArray(value)) {
    const items = value.map(asDoubles);
    if (items.some((v, i) => v !== value[i])) out = items;
  } else if (isPlainObject(value)) {
    let copy: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const converted = asDoubles(v);
      if (converted !== v) copy ??= { ...value };
      if (copy) copy[k] = converted;
    }
    if (copy) out = copy;
  }
  DOUBLES.set(value, out);
  return out;
}

const ARITHMETIC = [
  '$add',
  '$subtract',
  '$multiply',
  '$divide',
  '$mod',
  '$abs',
  '$ceil',
  '$floor',
  '$round',
  '$trunc',
  '$sqrt',
  '$pow',
  '$exp',
  '$ln',
  '$log',
  '$log10',
  '$sum',
  '$avg',
  '$toDouble',
  '$toInt',
  '$toLong',
];

const ORDER_TESTS: Record<string, (c: number) => unknown> = {
  $eq: (c) => c === 0,
  $ne: (c) => c !== 0,
  $gt: (c) => c > 0,
  $gte: (c) => c >= 0,
  $lt: (c) => c < 0,
  $lte: (c) => c <= 0,
  $cmp: (c) => Math.sign(c),
};

/** Evaluated arguments handed back to a mingo operator without being evaluated again. */
function literals(args: unknown): unknown {
  return Array.isArray(args) ? args.map((v: unknown) => ({ $literal: v })) : { $literal: args };
}

function exactComparison(name: string, test: (c: number) => unknown): ExpressionOperator {
  return (obj, expr, options) => {
    const args = evalExpr(obj, expr, options);
    if (Array.isArray(args) && args.length === 2) {
      if (isNumeric(args[0]) && isNumeric(args[1])) return test(compareNumeric(args[0], args[1]));
      // Under a collation strings compare by it, inside arrays and documents too (MongoDB's order).
      const strings = collationOf(options)?.compare;
      if (strings && args.some(hasString)) return test(compareValues(args[0], args[1], strings));
    }
    return EXPRESSION[name](obj, Array.isArray(args) ? literals(args) : expr, options);
  };
}

export const NUMERIC_EXPRESSION_OPERATORS: Record<string, ExpressionOperator> = {
  ...Object.fromEntries(
    ARITHMETIC.filter((name) => EXPRESSION[name]).map((name): [string, ExpressionOperator] => [
      name,
      (obj, expr, options) =>
        EXPRESSION[name](obj, literals(asDoubles(evalExpr(obj, expr, options))), options),
    ]),
  ),
  // mingo names these by class ('decimal128'), and knows nothing of the hints.
  $type: (obj, expr, options) => {
    const value = evalExpr(obj, expr, options);
    const type = (value as { _bsontype?: string } | null)?._bsontype;
    if (type === 'Decimal128') return 'decimal';
    if (type === 'Long') return 'long';
    if (typeof value === 'number' && typeof expr === 'string' && /^\$[^$]/.test(expr)) {
      // A stored document's field: its hint says which BSON number it was.
      return numberTypeOf(value, hintsOf(obj)?.get(expr.slice(1)));
    }
    return EXPRESSION.$type(obj, { $literal: value }, options);
  },
  ...Object.fromEntries(
    Object.entries(ORDER_TESTS).map(([name, test]) => [name, exactComparison(name, test)]),
  ),
};

/**
 * `$min` / `$max` in MongoDB's order (mingo orders mixed types by name), strings by the collation
 * if there is one; null and missing skipped.
 */
function extreme(sign: 1 | -1): Accumulator {
  return (collection, expr, options) => {
    const strings = collationOf(options)?.compare;
    let best: unknown = null;
    for (const v of ACCUMULATOR.$push(collection, expr, options) as unknown[]) {
      if (v === null || v === undefined) continue;
      if (best === null || sign * compareValues(v, best, strings) > 0) best = v;
    }
    return best;
  };
}

const WIDTH: Record<NumberType, number> = { int: 0, long: 1, double: 2, decimal: 3 };
const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/**
 * `$sum` of a stored field typed as mongod types it: Int32s stay an Int32 (a Long on overflow),
 * any Long makes a Long, any Decimal128 an exact Decimal128. Returns undefined where doubles are
 * the answer anyway (a Double among the values) or the types cannot be known (not a plain field
 * path), and mingo's double sum is used.
 */
function typedSum(collection: unknown[], expr: unknown, values: unknown[]): unknown {
  if (typeof expr !== 'string' || !/^\$[^$]/.test(expr)) return undefined;
  const path = expr.slice(1);
  const typeAt = (i: number): NumberType =>
    numberTypeOf(values[i], hintsOf(collection[i])?.get(path)) ?? 'double';
  // One pass for the widest type and, meanwhile, the whole-number sum: whole numbers add exactly
  // in a double up to 2^53, the BigInt takes the rest.
  let widest: NumberType = 'int';
  let small = 0;
  let total = 0n;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isNumeric(v)) continue;
    const type = typeAt(i);
    if (type === 'double' || (typeof v === 'number' && !Number.isFinite(v))) return undefined;
    if (WIDTH[type] > WIDTH[widest]) widest = type;
    if (widest === 'decimal') continue;
    if (typeof v !== 'number' || Math.abs(v) > 2 ** 52) total += BigInt(String(v));
    else if (Math.abs((small += v)) > 2 ** 52) {
      total += BigInt(small);
      small = 0;
    }
  }
  if (widest === 'decimal') {
    let sum = '0';
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!isNumeric(v)) continue;
      const hint = hintsOf(collection[i])?.get(path);
      const operand =
        typeAt(i) === 'decimal'
          ? { kind: 'decimal' as const, text: hint?.[0] === 'd' ? hint.slice(1) : String(v) }
          : { kind: 'integer' as const, value: BigInt(String(v)) };
      const next = decimalArithmetic('add', { kind: 'decimal', text: sum }, operand);
      if (next === undefined) return undefined;
      sum = next;
    }
    return Decimal128.fromString(sum);
  }
  total += BigInt(small);
  if (widest === 'int' && total >= INT32_MIN && total <= INT32_MAX) return Number(total);
  return total >= LONG_MIN && total <= LONG_MAX ? Long.fromBigInt(total) : Number(total);
}

export const NUMERIC_ACCUMULATORS: Record<string, Accumulator> = {
  $min: extreme(-1),
  $max: extreme(1),
  ...Object.fromEntries(
    ['$sum', '$avg', '$stdDevPop', '$stdDevSamp'].map((name): [string, Accumulator] => [
      name,
      (collection, expr, options) => {
        if (typeof expr === 'number') return ACCUMULATOR[name](collection, expr, options);
        // Each document's value, evaluated once, converted only if it is a Decimal128 or Long.
        const values = ACCUMULATOR.$push(collection, expr, options) as unknown[];
        if (name === '$sum') {
          const exact = typedSum(collection, expr, values);
          if (exact !== undefined) return exact;
        }
        return ACCUMULATOR[name](
          values.map((v) => ({ v: asDoubles(v) })),
          '$v',
          options,
        );
      },
    ]),
  ),
};
