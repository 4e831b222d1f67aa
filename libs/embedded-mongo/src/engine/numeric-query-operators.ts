import { type TypeHints, compareValues, hintsOf, isPlainObject } from '../bson/bson-values';
import { type Collation, collationOf, hasString } from './collation';
import { compareNumeric, isNumeric } from '../bson/exact-number';

type Predicate = (doc: unknown) => boolean;
type QueryOperator = (selector: string, value: unknown, options: unknown) => Predicate;
export type NumberType = 'int' | 'long' | 'double' | 'decimal';

// mingo's public subpath exports, invisible to the project's node10 type resolution.
/* eslint-disable @typescript-eslint/no-require-imports */
const MINGO_QUERY = require('mingo/operators/query') as Record<string, QueryOperator>;
const { resolve } = require('mingo/util') as {
  resolve: (doc: object, selector: string, options: { unwrapArray: boolean }) => unknown;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const RESOLVE = { unwrapArray: true };

/** The values a path reaches, array elements included, as mingo's comparison operators see them. */
function candidates(doc: unknown, selector: string): unknown[] {
  const lhs = resolve(doc as object, selector, RESOLVE);
  if (!Array.isArray(lhs)) return [lhs];
  const out: unknown[] = [];
  for (const v of lhs as unknown[]) {
    out.push(v);
    if (Array.isArray(v)) out.push(...(v as unknown[]));
  }
  return out;
}

/** Equality under a collation: strings (also inside arrays and documents) compare by it. */
function equalsCollated(
  doc: unknown,
  selector: string,
  wanted: readonly unknown[],
  collation: Collation,
): boolean {
  const strings = collation.compare;
  return candidates(doc, selector).some((v) =>
    wanted.some((w) => compareValues(v, w, strings) === 0),
  );
}

function equalsNumber(doc: unknown, selector: string, wanted: readonly unknown[]): boolean {
  return candidates(doc, selector).some(
    (v) => isNumeric(v) && wanted.some((w) => compareNumeric(v, w as number) === 0),
  );
}

/**
 * Ordering with a number operand is exact across Int32, Long, Double and Decimal128 (mingo would
 * compare a wide Long or an inexact Decimal128 with a double not at all). NaN equals only NaN and
 * is outside every range, as in mongod.
 */
function rangeOperator(
  name: '$gt' | '$gte' | '$lt' | '$lte',
  accepts: (c: number) => boolean,
): QueryOperator {
  const inclusive = name === '$gte' || name === '$lte';
  const isNaNValue = (v: unknown): boolean =>
    typeof v === 'number' ? Number.isNaN(v) : /nan/i.test(String(v));
  return (selector, value, options) => {
    const collation = typeof value === 'string' ? collationOf(options) : undefined;
    if (collation) {
      const operand = value as string;
      return (doc) => {
        const lhs = resolve(doc as object, selector, RESOLVE);
        const values = Array.isArray(lhs) ? (lhs as unknown[]) : [lhs];
        return values.some((v) => typeof v === 'string' && accepts(collation.compare(v, operand)));
      };
    }
    if (!isNumeric(value)) return MINGO_QUERY[name](selector, value, options);
    const nanOperand = isNaNValue(value);
    return (doc) => {
      const lhs = resolve(doc as object, selector, RESOLVE);
      const values = Array.isArray(lhs) ? (lhs as unknown[]) : [lhs];
      return values.some((v) => {
        if (!isNumeric(v)) return false;
        if (nanOperand || isNaNValue(v)) return inclusive && nanOperand && isNaNValue(v);
        return accepts(compareNumeric(v, value));
      });
    };
  };
}

function splitNumbers(values: unknown[]): { numbers: unknown[]; others: unknown[] } {
  const numbers: unknown[] = [];
  const others: unknown[] = [];
  for (const v of values) (isNumeric(v) ? numbers : others).push(v);
  return { numbers, others };
}

const $eq: QueryOperator = (selector, value, options) => {
  const collation = hasString(value) ? collationOf(options) : undefined;
  if (collation) return (doc) => equalsCollated(doc, selector, [value], collation);
  return isNumeric(value)
    ? (doc) => equalsNumber(doc, selector, [value])
    : MINGO_QUERY.$eq(selector, value, options);
};

const $in: QueryOperator = (selector, value, options) => {
  if (!Array.isArray(value)) return MINGO_QUERY.$in(selector, value, options);
  const collation = value.some(hasString) ? collationOf(options) : undefined;
  if (collation) {
    const regexes = value.filter((v) => v instanceof RegExp);
    const values = value.filter((v) => !(v instanceof RegExp));
    const patterns = regexes.length > 0 ? MINGO_QUERY.$in(selector, regexes, options) : undefined;
    return (doc) => equalsCollated(doc, selector, values, collation) || (patterns?.(doc) ?? false);
  }
  const { numbers, others } = splitNumbers(value);
  if (numbers.length === 0) return MINGO_QUERY.$in(selector, value, options);
  const rest = others.length > 0 ? MINGO_QUERY.$in(selector, others, options) : undefined;
  return (doc) => equalsNumber(doc, selector, numbers) || (rest?.(doc) ?? false);
};

const NUMBER_TYPES: Record<string, readonly NumberType[]> = {
  int: ['int'],
  long: ['long'],
  double: ['double'],
  decimal: ['decimal'],
  number: ['int', 'long', 'double', 'decimal'],
  '1': ['double'],
  '16': ['int'],
  '18': ['long'],
  '19': ['decimal'],
};

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The stored BSON type of a number in a view document, from its hint when it has one. */
export function numberTypeOf(value: unknown, hint: string | undefined): NumberType | undefined {
  if (typeof value === 'number') {
    if (hint !== undefined) {
      if (hint[0] === 'l') return 'long';
      if (hint[0] === 'd') return 'decimal';
      if (hint[0] === 'f') return 'double';
    }
    return Number.isInteger(value) &&
      value >= INT32_MIN &&
      value <= INT32_MAX &&
      !Object.is(value, -0)
      ? 'int'
      : 'double';
  }
  if (!isNumeric(value)) return undefined;
  return (value as { _bsontype: string })._bsontype === 'Long' ? 'long' : 'decimal';
}

/** Every value a dotted path reaches with its concrete path ("a.1.b"), array elements included. */
function leaves(doc: unknown, selector: string): Array<[unknown, string]> {
  const out: Array<[unknown, string]> = [];
  const parts = selector.split('.');
  const walk = (value: unknown, i: number, path: string): void => {
    if (i === parts.length) {
      out.push([value, path]);
      if (Array.isArray(value)) value.forEach((v, j) => out.push([v, `${path}.${j}`]));
      return;
    }
    const part = parts[i];
    const next = path === '' ? part : `${path}.${part}`;
    if (Array.isArray(value)) {
      if (/^\d+$/.test(part)) walk(value[Number(part)], i + 1, next);
      else value.forEach((v, j) => isPlainObject(v) && walk(v, i, `${path}.${j}`));
      return;
    }
    if (isPlainObject(value)) walk(value[part], i + 1, next);
  };
  walk(doc, 0, '');
  return out;
}

/**
 * `$type` with 'int', 'long', 'double', 'decimal', 'number' (or 16, 18, 1, 19) tells the stored
 * BSON types apart. A view document's numbers are plain doubles, so the type comes from the hints
 * remembered for the stored document; documents without hints (inside `$elemMatch`, or reshaped
 * by a pipeline) fall back to what a JS number would be written as.
 */
const $type: QueryOperator = (selector, value, options) => {
  const wanted = Array.isArray(value) ? (value as unknown[]) : [value];
  const numberTypes = new Set<NumberType>();
  const others: unknown[] = [];
  for (const t of wanted) {
    const types = typeof t === 'string' || typeof t === 'number' ? NUMBER_TYPES[String(t)] : [];
    if (types) for (const type of types) numberTypes.add(type);
    else others.push(t);
  }
  if (numberTypes.size === 0) return MINGO_QUERY.$type(selector, value, options);
  const rest = others.length > 0 ? MINGO_QUERY.$type(selector, others, options) : undefined;
  return (doc) => {
    const hints: TypeHints | undefined = hintsOf(doc);
    for (const [v, path] of leaves(doc, selector)) {
      const type = numberTypeOf(v, hints?.get(path));
      if (type && numberTypes.has(type)) return true;
    }
    return rest?.(doc) ?? false;
  };
};

export const NUMERIC_QUERY_OPERATORS: Record<string, QueryOperator> = {
  $eq,
  $ne: (selector, value, options) => {
    const eq = $eq(selector, value, options);
    return (doc) => !eq(doc);
  },
  $in,
  $nin: (selector, value, options) => {
    const inside = $in(selector, value, options);
    return (doc) => !inside(doc);
  },
  $gt: rangeOperator('$gt', (c) => c > 0),
  $gte: rangeOperator('$gte', (c) => c >= 0),
  $lt: rangeOperator('$lt', (c) => c < 0),
  $lte: rangeOperator('$lte', (c) => c <= 0),
  $type,
};
