import { update as mingoUpdate } from 'mingo';
import { Decimal128, type Document, ObjectId } from 'bson';
import {
  type TypeHints,
  cloneView,
  compareValues,
  getExact,
  isPlainObject,
  sameKey,
  mergeHints,
  pruneHints,
  toView,
  toViewValue,
} from '../bson/bson-values';
import { type DecimalOperand, decimalArithmetic, isNumeric } from '../bson/exact-number';
import { type StoredDoc } from './collection-store';
import { type NumberType, numberTypeOf } from './numeric-query-operators';
import { runPipeline } from './mingo-aggregator';
import { MINGO_OPTIONS, Query, rejectScripts } from './query-tools';
import { type Collation } from './collation';
import { MongoCommandError, asCommandError } from './mongo-error';

type UpdateOperator = (expr: Document, arrayFilters?: Document[]) => (doc: Document) => string[];
// mingo's update operators, called one by one: its `update()` rebuilds its whole operator context
// on every call, which costs more than the update itself. (A public subpath export that the
// project's node10 type resolution cannot see, hence require.)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const UPDATE_OPERATORS = require('mingo/operators/update') as Record<string, UpdateOperator>;

/** Operators whose result keeps the numeric type of the field they change. */
const ARITHMETIC = new Set(['$inc', '$mul', '$min', '$max', '$bit']);
/** Operators whose operands are compared, so they must be plain view values. */
const COMPARING = new Set(['$pull', '$pullAll', '$unset', '$rename', '$pop', '$currentDate']);
const KNOWN = new Set([...ARITHMETIC, ...COMPARING, '$set', '$setOnInsert', '$push', '$addToSet']);

type OperandType = { type: NumberType; text?: string };

export type Modifier =
  | { kind: 'replace'; doc: Record<string, unknown>; hints: TypeHints | undefined }
  | {
      kind: 'operators';
      ops: Array<[string, Document]>;
      positional: boolean;
      /** The BSON type (and a Decimal128's digits) of each `$inc` / `$mul` operand. */
      operandTypes: Map<string, OperandType>;
    }
  | { kind: 'pipeline'; stages: Document[] };

/**
 * Keeps integral Doubles, Longs and Decimals as BSON objects (so `$set: { n: Long(5) }` stores a
 * Long); turns Int32 and fractional Doubles into numbers, which serialize back the same.
 */
function keepWideNumbers(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(keepWideNumbers);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = keepWideNumbers(v);
    return out;
  }
  const type = (value as { _bsontype?: string })._bsontype;
  if (type === 'Int32') return (value as { value: number }).value;
  if (type === 'Double') {
    const n = (value as { value: number }).value;
    return Number.isInteger(n) && !Object.is(n, -0) ? value : n;
  }
  return value;
}

/** Classifies and prepares the `u` of an update (decoded without promotion). */
export function parseModifier(u: unknown): Modifier {
  if (Array.isArray(u)) {
    rejectScripts(u);
    return { kind: 'pipeline', stages: toViewValue(u) as Document[] };
  }
  if (!isPlainObject(u)) {
    throw new MongoCommandError(
      'FailedToParse',
      'Update argument must be either an object or an array',
    );
  }
  const keys = Object.keys(u);
  if (keys.length === 0 || !keys[0].startsWith('$')) {
    for (const key of keys) {
      if (key.startsWith('$')) {
        throw new MongoCommandError(
          'BadValue' as const,
          `The dollar ($) prefixed field '${key}' in '${key}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
        );
      }
    }
    const { doc, hints } = toView(u);
    return { kind: 'replace', doc, hints };
  }
  const ops: Array<[string, Document]> = [];
  const paths: string[] = [];
  const operandTypes = new Map<string, OperandType>();
  for (const key of keys) {
    if (!KNOWN.has(key)) {
      throw new MongoCommandError(
        'FailedToParse',
        `Unknown modifier: ${key}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    const spec = u[key];
    if (!isPlainObject(spec)) {
      throw new MongoCommandError(
        'FailedToParse',
        `Modifiers operate on fields but we found type ${Array.isArray(spec) ? 'array' : typeof spec} instead. For example: {$mod: {<field>: ...}} not {${key}: ${String(spec)}}`,
      );
    }
    if (key === '$inc' || key === '$mul' || key === '$min' || key === '$max') {
      for (const [path, operand] of Object.entries(spec)) {
        const type = operandTypeOf(operand);
        if (type) operandTypes.set(path, type);
      }
    }
    const prepared =
      ARITHMETIC.has(key) || COMPARING.has(key) ? toViewValue(spec) : keepWideNumbers(spec);
    ops.push([key, prepared as Document]);
    paths.push(...Object.keys(spec));
    if (key === '$rename') paths.push(...Object.values(spec).map(String));
  }
  checkConflicts(paths);
  const positional = paths.some((p) => p === '$' || p.includes('.$.') || p.endsWith('.$'));
  return { kind: 'operators', ops, positional, operandTypes };
}

function operandTypeOf(operand: unknown): OperandType | undefined {
  if (typeof operand === 'number') return { type: numberTypeOf(operand, undefined)! };
  switch ((operand as { _bsontype?: string } | null)?._bsontype) {
    case 'Int32':
      return { type: 'int' };
    case 'Long':
      return { type: 'long' };
    case 'Double':
      return { type: 'double' };
    case 'Decimal128':
      return { type: 'decimal', text: (operand as Decimal128).toString() };
    default:
      return undefined;
  }
}

const WIDTH: Record<NumberType, number> = { int: 0, long: 1, double: 2, decimal: 3 };

function decimalOperand(
  value: unknown,
  type: NumberType,
  text: string | undefined,
): DecimalOperand {
  if (text !== undefined && Number(text) === value) return { kind: 'decimal', text };
  if (typeof value !== 'number') {
    const digits = (value as { toString(): string }).toString();
    return type === 'long'
      ? { kind: 'integer', value: BigInt(digits) }
      : { kind: 'decimal', text: digits };
  }
  if (type === 'int' || type === 'long') return { kind: 'integer', value: BigInt(value) };
  return { kind: 'double', value };
}

/**
 * `$inc` / `$mul` on plain paths, typed as mongod does: the result takes the wider of the two
 * types (int < long < double < decimal; an int that overflows becomes a long), and any Decimal128
 * makes the arithmetic exact decimal, done here since mingo only adds doubles. Returns the numeric
 * type each remaining path must end up with; decimal paths are applied here and left out of `spec`.
 */
function typeArithmetic(
  op: string,
  spec: Document,
  doc: Record<string, unknown>,
  hints: TypeHints | undefined,
  operandTypes: Map<string, OperandType>,
): { rest: Document; applied: string[]; resultTypes: Map<string, OperandType> } {
  const rest: Document = {};
  const applied: string[] = [];
  const resultTypes = new Map<string, OperandType>();
  for (const [path, operand] of Object.entries(spec)) {
    rest[path] = operand;
    const operandType = operandTypes.get(path);
    if (path.includes('$') || !operandType || !isNumeric(operand)) continue;
    const current = getExact(doc, path);
    if (current !== undefined && !isNumeric(current)) continue;
    const hint = hints?.get(path);
    const currentType = current === undefined ? undefined : numberTypeOf(current, hint);
    const resultType =
      currentType && WIDTH[currentType] > WIDTH[operandType.type] ? currentType : operandType.type;
    if (resultType === 'decimal') {
      const text = decimalArithmetic(
        op === '$inc' ? 'add' : 'multiply',
        current === undefined
          ? { kind: 'integer', value: 0n }
          : decimalOperand(current, currentType!, hint?.[0] === 'd' ? hint.slice(1) : undefined),
        decimalOperand(operand, operandType.type, operandType.text),
      );
      if (text !== undefined) {
        setPath(doc, path, Decimal128.fromString(text));
        applied.push(path);
        delete rest[path];
        continue;
      }
    }
    resultTypes.set(path, { type: resultType });
  }
  return { rest, applied, resultTypes };
}

/**
 * `$min` / `$max` on plain paths in MongoDB's order (exact across numeric types, then canonical
 * type order); mingo orders mixed types by name. The value set keeps the operand's BSON type.
 */
function applyMinMax(
  op: string,
  spec: Document,
  doc: Record<string, unknown>,
  operandTypes: Map<string, OperandType>,
): { rest: Document; applied: string[]; resultTypes: Map<string, OperandType> } {
  const rest: Document = {};
  const applied: string[] = [];
  const resultTypes = new Map<string, OperandType>();
  for (const [path, operand] of Object.entries(spec)) {
    if (path.includes('$')) {
      rest[path] = operand;
      continue;
    }
    const current = getExact(doc, path);
    if (current !== undefined) {
      const c = compareValues(operand, current);
      if (op === '$max' ? c <= 0 : c >= 0) continue;
    }
    setPath(doc, path, cloneView(operand));
    applied.push(path);
    const type = operandTypes.get(path);
    if (type && typeof operand === 'number') resultTypes.set(path, type);
  }
  return { rest, applied, resultTypes };
}

/** The hint that makes a computed number serialize as the type arithmetic gave it. */
function hintFor(value: number, { type, text }: OperandType): string | undefined {
  const asInt32 = numberTypeOf(value, undefined) === 'int';
  if (type === 'int') return asInt32 || !Number.isInteger(value) ? undefined : 'l';
  if (type === 'long') return Number.isInteger(value) ? 'l' : undefined;
  if (type === 'double') return asInt32 ? 'f' : undefined;
  return `d${text !== undefined && Number(text) === value ? text : String(value)}`;
}

/** Two operators may not touch the same path or a path and its parent (mongod's code 40). */
function checkConflicts(paths: string[]): void {
  const normalized = paths.map((p) =>
    p
      .split('.')
      .filter((part) => !part.startsWith('$'))
      .join('.'),
  );
  for (let i = 0; i < normalized.length; i++) {
    for (let j = i + 1; j < normalized.length; j++) {
      const a = normalized[i];
      const b = normalized[j];
      if (a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`)) {
        throw new MongoCommandError(
          'ConflictingUpdateOperators',
          `Updating the path '${paths[j]}' would create a conflict at '${paths[i]}'`,
        );
      }
    }
  }
}

export interface UpdateOutcome {
  record: StoredDoc;
  modified: boolean;
}

function sameId(a: unknown, b: unknown): boolean {
  return sameKey(a, b);
}

/** Applies a modifier to a copy of the stored document; the stored one is never mutated. */
export function applyModifier(
  record: StoredDoc,
  modifier: Modifier,
  options: {
    arrayFilters?: Document[];
    filter?: Document;
    inserting?: boolean;
    variables?: Document;
    /** The statement's (or the collection's) collation: `$addToSet` and `$pull` compare by it. */
    collation?: Collation;
  },
): UpdateOutcome {
  const before = record.doc;
  try {
    if (modifier.kind === 'replace') {
      const replacement = modifier.doc;
      const hasId = '_id' in replacement;
      if (hasId && !sameId(replacement._id, before._id)) throw immutableId(replacement._id);
      const doc = replacedDocument(hasId ? replacement._id : before._id, replacement);
      return {
        record: { doc, hints: modifier.hints },
        modified: !sameKey(doc, before),
      };
    }
    if (modifier.kind === 'pipeline') {
      const [result] = runPipeline<Record<string, unknown>>(
        modifier.stages,
        [cloneView(before)],
        options.variables ? { variables: options.variables } : undefined,
      );
      // A stage that reshapes the whole document ($replaceRoot, $project) keeps the _id, as in mongod.
      const id = options.inserting && before._id === undefined ? result._id : before._id;
      if ('_id' in result && !sameId(result._id, id)) throw immutableId(result._id);
      const { hints } = toView(result);
      const doc = { _id: id, ...result };
      doc._id = id;
      return {
        record: { doc, hints: mergeHints(pruneHints(doc, record.hints), hints) },
        modified: !sameKey(doc, before),
      };
    }
    const doc = cloneView(before);
    const replaced: string[] = [];
    const resultTypes = new Map<string, OperandType>();
    let modified = false;
    for (const [op, opSpec] of modifier.ops) {
      let spec = opSpec;
      if ((op === '$min' || op === '$max') && !modifier.positional) {
        const typed = applyMinMax(op, spec, doc, modifier.operandTypes);
        spec = typed.rest;
        if (typed.applied.length > 0) modified = true;
        replaced.push(...typed.applied);
        for (const [path, type] of typed.resultTypes) resultTypes.set(path, type);
        if (Object.keys(spec).length === 0) continue;
      }
      if ((op === '$inc' || op === '$mul') && !modifier.positional) {
        const typed = typeArithmetic(op, spec, doc, record.hints, modifier.operandTypes);
        spec = typed.rest;
        if (typed.applied.length > 0) modified = true;
        replaced.push(...typed.applied);
        for (const [path, type] of typed.resultTypes) resultTypes.set(path, type);
        if (Object.keys(spec).length === 0) continue;
      }
      if (options.collation && !modifier.positional && COLLATED_ARRAY_OPERATORS.has(op)) {
        const collated = collatedArrayUpdate(op, spec, doc, options.collation);
        spec = collated.rest;
        if (collated.applied.length > 0) modified = true;
        replaced.push(...collated.applied);
        if (Object.keys(spec).length === 0) continue;
      }
      let effective = op;
      if (op === '$setOnInsert') {
        if (!options.inserting) continue;
        effective = '$set';
      }
      if (op === '$push') seedMissingPushTargets(doc, spec);
      // The positional `$` needs the query that matched; only mingo's update() carries it.
      const paths = modifier.positional
        ? mingoUpdate(doc, { [effective]: cloneView(spec) }, options.arrayFilters, options.filter, {
            cloneMode: 'copy',
          })
        : UPDATE_OPERATORS[effective](cloneView(spec), options.arrayFilters)(doc);
      if (paths.length > 0) modified = true;
      if (!ARITHMETIC.has(op)) replaced.push(...paths);
    }
    if (!sameId(doc._id, before._id)) throw immutableId(doc._id);
    const { hints } = toView(doc);
    let merged = mergeHints(pruneHints(doc, record.hints, replaced), hints);
    for (const [path, type] of resultTypes) {
      const value = getExact(doc, path);
      if (typeof value !== 'number') continue;
      const hint = hintFor(value, type);
      if (hint === merged?.get(path)) continue;
      merged = new Map(merged);
      if (hint) merged.set(path, hint);
      else merged.delete(path);
      if (merged.size === 0) merged = undefined;
    }
    return { record: { doc, hints: merged }, modified };
  } catch (error) {
    throw asCommandError(error);
  }
}

const COLLATED_ARRAY_OPERATORS = new Set(['$addToSet', '$pull', '$pullAll']);

/**
 * `$addToSet`, `$pull` and `$pullAll` under a collation, as mongod applies them: values the
 * collation calls equal are one set member, and `$pull` conditions match by it. Paths through
 * arrays or into a non-document, and malformed operands, are left (`rest`) to mingo, which
 * compares binary or answers mongod's error.
 */
function collatedArrayUpdate(
  op: string,
  spec: Document,
  doc: Record<string, unknown>,
  collation: Collation,
): { rest: Document; applied: string[] } {
  const rest: Document = {};
  const applied: string[] = [];
  for (const [path, operand] of Object.entries(spec)) {
    const parent = parentOf(doc, path, op === '$addToSet');
    if (!parent) {
      rest[path] = operand;
      continue;
    }
    const field = path.slice(path.lastIndexOf('.') + 1);
    const current = parent[field];
    if (current !== undefined && !Array.isArray(current)) {
      rest[path] = operand;
      continue;
    }
    const key = collation.equalityKey();
    let next: unknown[] | undefined;
    if (op === '$addToSet') {
      const each = isPlainObject(operand) && '$each' in operand ? operand.$each : [operand];
      if (!Array.isArray(each)) {
        rest[path] = operand;
        continue;
      }
      const items = current ?? [];
      const seen = new Set(items.map(key));
      const added = each.filter((value) => {
        const k = key(value);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
      if (current === undefined || added.length > 0) next = [...items, ...cloneView(added)];
    } else if (op === '$pullAll') {
      if (!Array.isArray(operand)) {
        rest[path] = operand;
        continue;
      }
      const removed = new Set(operand.map(key));
      if (current) next = current.filter((value) => !removed.has(key(value)));
    } else if (current) {
      // As mingo and mongod: a value or an operator condition tests each element, a document
      // without operators is a query on document elements.
      const wrap = !isPlainObject(operand) || Object.keys(operand).some((k) => k.startsWith('$'));
      const query = new Query(wrap ? { k: operand } : operand, {
        ...MINGO_OPTIONS,
        collation,
      });
      next = current.filter((value) => !query.test(wrap ? { k: value } : value));
    }
    if (next && (current === undefined || next.length !== current.length)) {
      parent[field] = next;
      applied.push(path);
    }
  }
  return { rest, applied };
}

/**
 * The document holding a dotted path's last field (missing ones created when `create`, else an
 * empty stand-in); undefined when the path runs through an array or a scalar.
 */
function parentOf(
  doc: Record<string, unknown>,
  path: string,
  create: boolean,
): Record<string, unknown> | undefined {
  let current = doc;
  for (const part of path.split('.').slice(0, -1)) {
    const next = current[part];
    if (next === undefined) current = create ? (current[part] = {}) : {};
    else if (isPlainObject(next)) current = next;
    else return undefined;
  }
  return current;
}

/**
 * mingo's $push ignores $sort/$slice/$position when the array does not exist yet (it just stores
 * $each); starting from an empty array gives MongoDB's result.
 */
function seedMissingPushTargets(doc: Record<string, unknown>, spec: Document): void {
  for (const [path, value] of Object.entries(spec)) {
    if (path.includes('$') || !isPlainObject(value) || !('$each' in value)) continue;
    if (getExact(doc, path) === undefined) setPath(doc, path, []);
  }
}

function immutableId(value: unknown): MongoCommandError {
  return new MongoCommandError(
    'ImmutableField',
    `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${String(value)}`,
  );
}

/** The document an upsert inserts: the filter's equality fields, then the modifier on top. */
export function buildUpsert(
  filter: Document,
  modifier: Modifier,
  arrayFilters?: Document[],
  variables?: Document,
  collation?: Collation,
): StoredDoc {
  if (modifier.kind === 'replace') {
    const replacement = modifier.doc;
    let id: unknown;
    if ('_id' in replacement) id = replacement._id;
    else if ('_id' in filter && !isOperator(filter._id)) id = filter._id;
    else if (isPlainObject(filter._id) && '$eq' in filter._id) id = filter._id.$eq;
    const doc = replacedDocument(id === undefined ? new ObjectId() : id, replacement);
    return { doc, hints: modifier.hints };
  }
  const seed: Record<string, unknown> = {};
  collectEqualities(filter, seed);
  const record = applyModifier({ doc: seed, hints: undefined }, modifier, {
    arrayFilters,
    inserting: true,
    variables,
    collation,
  }).record;
  const { _id, ...rest } = record.doc;
  const doc = { _id: _id === undefined ? new ObjectId() : _id, ...rest };
  return { doc, hints: record.hints };
}

/**
 * A replacement document as stored: `_id` first, as mongod orders it, then the replacement's other
 * fields. The replacement's values are taken over, not copied: a replacement applies to one
 * document only (`multi` is refused for it), and the command's body is not used once it ran.
 */
function replacedDocument(
  id: unknown,
  replacement: Record<string, unknown>,
): Record<string, unknown> {
  const doc: Record<string, unknown> = { _id: id };
  // A `__proto__` field would set the prototype here; it was never kept (the copy dropped it too).
  for (const key of Object.keys(replacement)) {
    if (key !== '_id' && key !== '__proto__') doc[key] = replacement[key];
  }
  return doc;
}

function isOperator(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'));
}

function collectEqualities(filter: Document, out: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const part of value) if (isPlainObject(part)) collectEqualities(part, out);
      continue;
    }
    if (key.startsWith('$')) continue;
    let v: unknown = value;
    if (isOperator(value)) {
      const ops = value as Document;
      if (!('$eq' in ops)) continue;
      v = ops.$eq;
    }
    setPath(out, key, cloneView(v));
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let current = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = current[parts[i]];
    if (!isPlainObject(next)) current[parts[i]] = {};
    current = current[parts[i]] as Record<string, unknown>;
  }
  current[parts[parts.length - 1]] = value;
}
