import { type Document } from 'bson';
import {
  type TypeHints,
  compareValues,
  collectPathValues,
  fromView,
  isPlainObject,
  keyOf,
} from '../bson/bson-values';
import { type StoredDoc } from './collection-store';
import { enumValue } from './field-checks';
import { MongoCommandError } from './mongo-error';
import { numberTypeOf } from './numeric-query-operators';
import { type Matcher, compileFilter } from './query-tools';

export type ValidationLevel = 'off' | 'strict' | 'moderate';
export type ValidationAction = 'error' | 'warn';

/** Why a value failed one rule, in the shape of mongod's `errInfo.details`. */
type Detail = Document;

const LEVELS: readonly string[] = ['off', 'strict', 'moderate'];
const ACTIONS: readonly string[] = ['error', 'warn'];

/**
 * A collection's validator (query operators and/or `$jsonSchema`) with its level and action. A document
 * failing it is refused with 121 DocumentValidationFailure and mongod's `errInfo`: the failing `_id` and
 * which rules failed and why.
 */
export class DocumentValidator {
  private readonly matches: Matcher;
  private readonly schema: Document | undefined;

  constructor(
    private readonly validator: Document,
    readonly level: ValidationLevel,
    readonly action: ValidationAction,
  ) {
    const { $jsonSchema, ...query } = validator;
    if ($jsonSchema !== undefined) {
      if (!isPlainObject($jsonSchema))
        throw new MongoCommandError('TypeMismatch', '$jsonSchema must be an object');
      checkSchema($jsonSchema);
      this.schema = $jsonSchema;
    }
    this.matches = compileFilter(query);
  }

  /** Checks a write; `previous` is the document an update replaces (moderate skips invalid ones). */
  check(next: StoredDoc, previous: StoredDoc | undefined, warn: (message: string) => void): void {
    if (this.level === 'off') return;
    if (this.valid(next)) return;
    if (previous && this.level === 'moderate' && !this.valid(previous)) return;
    const errInfo = {
      failingDocumentId: fromView(next.doc, next.hints)._id,
      details: this.explain(next),
    };
    if (this.action === 'warn') {
      warn(`Document would fail validation: ${JSON.stringify(errInfo)}`);
      return;
    }
    throw new MongoCommandError('DocumentValidationFailure', 'Document failed validation', {
      errInfo,
    });
  }

  private valid(record: StoredDoc): boolean {
    if (!this.matches(record.doc)) return false;
    return !this.schema || schemaFailures(this.schema, record.doc, '', record.hints).length === 0;
  }

  /** `details` of errInfo: the top-level operator and the clauses that were not satisfied. */
  private explain(record: StoredDoc): Detail {
    const clauses: Detail[] = [];
    for (const [key, value] of Object.entries(this.validator)) {
      const detail =
        key === '$jsonSchema'
          ? jsonSchemaDetail(value as Document, record)
          : clauseDetail(key, value, record.doc);
      if (detail) clauses.push(detail);
    }
    if (Object.keys(this.validator).length === 1 && clauses.length === 1) return clauses[0];
    return {
      operatorName: '$and',
      clausesNotSatisfied: clauses.map((details, index) => ({ index, details })),
    };
  }
}

/** Reads `validator`, `validationLevel` and `validationAction` from collection options. */
export function validatorOf(options: Document): DocumentValidator | undefined {
  const validator: unknown = options.validator;
  if (validator === undefined || validator === null) return undefined;
  if (!isPlainObject(validator)) {
    throw new MongoCommandError('TypeMismatch', "'validator' must be an object");
  }
  if (Object.keys(validator).length === 0) return undefined;
  return new DocumentValidator(
    validator,
    enumValue(options, 'validationLevel', LEVELS, 'strict') as ValidationLevel,
    enumValue(options, 'validationAction', ACTIONS, 'error') as ValidationAction,
  );
}

/**
 * Checks a collection's validation options, and completes them as mongod records them: with the
 * level and action in force when a validator is set.
 */
export function checkValidationOptions(options: Document): void {
  if (options.validator !== undefined) {
    options.validationLevel ??= 'strict';
    options.validationAction ??= 'error';
  }
  enumValue(options, 'validationLevel', LEVELS, 'strict');
  enumValue(options, 'validationAction', ACTIONS, 'error');
  validatorOf(options);
}

// ---------------------------------------------------------------------------------------------
// Query-operator validators: errInfo names the operator, what was specified and why it failed.

function clauseDetail(key: string, value: unknown, doc: Document): Detail | undefined {
  if (key === '$and' || key === '$or' || key === '$nor') {
    const parts = value as Document[];
    const failing: Detail[] = [];
    parts.forEach((part, index) => {
      const passes = compileFilter(part)(doc);
      if (key === '$nor' ? passes : !passes) {
        failing.push({ index, details: documentDetail(part, doc) });
      }
    });
    if (failing.length === 0 || (key === '$or' && failing.length < parts.length)) return undefined;
    return { operatorName: key, clausesNotSatisfied: failing };
  }
  if (compileFilter({ [key]: value })(doc)) return undefined;
  if (key === '$expr') {
    return {
      operatorName: '$expr',
      specifiedAs: { $expr: value },
      reason: 'expression did not match',
    };
  }
  const operators =
    isPlainObject(value) &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((k) => k.startsWith('$'))
      ? Object.entries(value)
      : [['$eq', value] as [string, unknown]];
  const values = collectPathValues(doc, key);
  const present = values.some((v) => v !== undefined);
  for (const [op, operand] of operators) {
    if (compileFilter({ [key]: { [op]: operand } })(doc)) continue;
    const detail: Detail = { operatorName: op, specifiedAs: { [key]: value } };
    if (!present && op !== '$exists') return { ...detail, reason: 'field was missing' };
    const considered = values.length === 1 ? values[0] : values;
    switch (op) {
      case '$type':
        return {
          ...detail,
          reason: 'type did not match',
          consideredValue: considered,
          consideredType: typeNameOf(considered, undefined),
        };
      case '$regex':
        return {
          ...detail,
          reason: 'regular expression did not match',
          consideredValue: considered,
        };
      case '$in':
        return {
          ...detail,
          reason: 'no matching value found in array',
          consideredValue: considered,
        };
      case '$nin':
        return { ...detail, reason: 'matching value found in array', consideredValue: considered };
      case '$exists':
        return { ...detail, reason: operand ? 'path does not exist' : 'path does exist' };
      case '$eq':
      case '$ne':
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        return { ...detail, reason: 'comparison failed', consideredValue: considered };
      default:
        return { ...detail, reason: 'expression did not match', consideredValue: considered };
    }
  }
  return {
    operatorName: '$and',
    specifiedAs: { [key]: value },
    reason: 'expression did not match',
  };
}

function documentDetail(filter: Document, doc: Document): Detail {
  const details = Object.entries(filter)
    .map(([k, v]) => clauseDetail(k, v, doc))
    .filter((d): d is Detail => d !== undefined);
  if (details.length === 1) return details[0];
  return {
    operatorName: '$and',
    clausesNotSatisfied: details.map((d, index) => ({ index, details: d })),
  };
}

// ---------------------------------------------------------------------------------------------
// $jsonSchema: the draft 4 subset mongod implements, plus bsonType.

const SCHEMA_KEYWORDS = new Set([
  'bsonType',
  'type',
  'required',
  'properties',
  'additionalProperties',
  'patternProperties',
  'minProperties',
  'maxProperties',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'enum',
  'items',
  'additionalItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'dependencies',
  'title',
  'description',
  'encrypt',
  'encryptMetadata',
]);

const BSON_TYPES = new Set([
  'double',
  'string',
  'object',
  'array',
  'binData',
  'undefined',
  'objectId',
  'bool',
  'date',
  'null',
  'regex',
  'dbPointer',
  'javascript',
  'symbol',
  'javascriptWithScope',
  'int',
  'timestamp',
  'long',
  'decimal',
  'minKey',
  'maxKey',
  'number',
]);
const JSON_TYPES: Readonly<Record<string, string[]>> = {
  object: ['object'],
  array: ['array'],
  number: ['int', 'long', 'double', 'decimal'],
  boolean: ['bool'],
  string: ['string'],
  null: ['null'],
};

/** Refuses what mongod refuses in a schema: unknown keywords, unknown types, `integer`. */
function checkSchema(schema: Document): void {
  for (const [keyword, value] of Object.entries(schema)) {
    if (!SCHEMA_KEYWORDS.has(keyword)) {
      throw new MongoCommandError('FailedToParse', `Unknown $jsonSchema keyword: ${keyword}`);
    }
    if (keyword === 'bsonType') {
      for (const t of [value].flat()) {
        if (!BSON_TYPES.has(t as string))
          throw new MongoCommandError('BadValue', `Unknown type name alias: ${String(t)}`);
      }
    }
    if (keyword === 'type') {
      for (const t of [value].flat()) {
        if (t === 'integer')
          throw new MongoCommandError(
            'FailedToParse',
            "$jsonSchema type 'integer' is not currently supported.",
          );
        if (!Object.hasOwn(JSON_TYPES, t as string))
          throw new MongoCommandError('BadValue', `Unknown type name alias: ${String(t)}`);
      }
    }
    if (keyword === 'properties' || keyword === 'patternProperties') {
      for (const sub of Object.values(value as Document)) checkSchema(sub as Document);
    }
    if (
      (keyword === 'items' ||
        keyword === 'additionalItems' ||
        keyword === 'additionalProperties') &&
      isPlainObject(value)
    )
      checkSchema(value);
    if (keyword === 'items' && Array.isArray(value))
      for (const sub of value) checkSchema(sub as Document);
    if (keyword === 'allOf' || keyword === 'anyOf' || keyword === 'oneOf')
      for (const sub of value as Document[]) checkSchema(sub);
    if (keyword === 'not') checkSchema(value as Document);
  }
}

/** The BSON type name of a view value (numbers by their stored type). */
function typeNameOf(value: unknown, hint: string | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  const numberType = numberTypeOf(value, hint);
  if (numberType) return numberType;
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (value instanceof RegExp) return 'regex';
  if (isPlainObject(value)) return 'object';
  switch ((value as { _bsontype?: string })._bsontype) {
    case 'ObjectId':
      return 'objectId';
    case 'Binary':
      return 'binData';
    case 'Timestamp':
      return 'timestamp';
    case 'BSONRegExp':
      return 'regex';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'BSONSymbol':
      return 'symbol';
    case 'Code':
      return 'javascript';
    default:
      return 'object';
  }
}

function typeMatches(allowed: string[], actual: string): boolean {
  return allowed.some(
    (t) =>
      t === actual || (t === 'number' && ['int', 'long', 'double', 'decimal'].includes(actual)),
  );
}

function fail(keyword: string, specified: unknown, rest: Document = {}): Detail {
  return { operatorName: keyword, specifiedAs: { [keyword]: specified }, ...rest };
}

/**
 * The rules of `schema` that `value` (at `path`, for its type hint) does not satisfy, as errInfo
 * entries; empty when it satisfies them all. Keywords about a type only apply to values of that type.
 */
function schemaFailures(
  schema: Document,
  value: unknown,
  path: string,
  hints: TypeHints | undefined,
): Detail[] {
  const out: Detail[] = [];
  const type = typeNameOf(value, hints?.get(path));
  const numeric = ['int', 'long', 'double', 'decimal'].includes(type);
  const child = (key: string | number): string => (path ? `${path}.${key}` : String(key));
  for (const [keyword, spec] of Object.entries(schema)) {
    switch (keyword) {
      case 'bsonType':
      case 'type': {
        const allowed =
          keyword === 'type'
            ? [spec].flat().flatMap((t) => JSON_TYPES[t as string])
            : [spec].flat();
        if (!typeMatches(allowed as string[], type))
          out.push(
            fail(keyword, spec, {
              reason: 'type did not match',
              consideredValue: value,
              consideredType: type,
            }),
          );
        break;
      }
      case 'enum':
        if (!(spec as unknown[]).some((e) => keyOf(e) === keyOf(value)))
          out.push(
            fail(keyword, spec, { reason: 'value was not found in enum', consideredValue: value }),
          );
        break;
      case 'minimum':
      case 'maximum': {
        if (!numeric) break;
        const c = compareValues(value, spec);
        const exclusive =
          schema[keyword === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'] === true;
        const ok =
          keyword === 'minimum' ? (exclusive ? c > 0 : c >= 0) : exclusive ? c < 0 : c <= 0;
        if (!ok)
          out.push(fail(keyword, spec, { reason: 'comparison failed', consideredValue: value }));
        break;
      }
      case 'multipleOf':
        if (numeric && Number(value) % Number(spec) !== 0)
          out.push(
            fail(keyword, spec, { reason: 'factor did not divide value', consideredValue: value }),
          );
        break;
      case 'minLength':
      case 'maxLength':
        if (type === 'string') {
          const length = [...(value as string)].length;
          if (keyword === 'minLength' ? length < Number(spec) : length > Number(spec))
            out.push(
              fail(keyword, spec, {
                reason: 'specified string length was not satisfied',
                consideredValue: value,
              }),
            );
        }
        break;
      case 'pattern':
        if (type === 'string' && !new RegExp(spec as string, 'u').test(value as string))
          out.push(
            fail(keyword, spec, {
              reason: 'regular expression did not match',
              consideredValue: value,
            }),
          );
        break;
      case 'required':
        if (type === 'object') {
          const missing = (spec as string[]).filter((p) => (value as Document)[p] === undefined);
          if (missing.length > 0) out.push(fail(keyword, spec, { missingProperties: missing }));
        }
        break;
      case 'minProperties':
      case 'maxProperties':
        if (type === 'object') {
          const n = Object.keys(value as Document).length;
          if (keyword === 'minProperties' ? n < Number(spec) : n > Number(spec))
            out.push(
              fail(keyword, spec, {
                reason: 'specified number of properties was not satisfied',
                numberOfProperties: n,
              }),
            );
        }
        break;
      case 'properties':
        if (type === 'object') {
          const unsatisfied: Detail[] = [];
          for (const [name, sub] of Object.entries(spec as Document)) {
            const v = (value as Document)[name];
            if (v === undefined) continue;
            const details = schemaFailures(sub as Document, v, child(name), hints);
            if (details.length === 0) continue;
            const entry: Detail = { propertyName: name };
            if (typeof (sub as Document).description === 'string')
              entry.description = (sub as Document).description;
            entry.details = details;
            unsatisfied.push(entry);
          }
          if (unsatisfied.length > 0)
            out.push({ operatorName: 'properties', propertiesNotSatisfied: unsatisfied });
        }
        break;
      case 'additionalProperties':
        if (type === 'object') {
          const declared = new Set(Object.keys((schema.properties as Document | undefined) ?? {}));
          const patterns = Object.keys(
            (schema.patternProperties as Document | undefined) ?? {},
          ).map((p) => new RegExp(p, 'u'));
          const extra = Object.keys(value as Document).filter(
            (k) => !declared.has(k) && !patterns.some((p) => p.test(k)),
          );
          if (spec === false && extra.length > 0)
            out.push(fail(keyword, spec, { additionalProperties: extra }));
          if (isPlainObject(spec)) {
            const failing = extra.filter(
              (k) => schemaFailures(spec, (value as Document)[k], child(k), hints).length > 0,
            );
            if (failing.length > 0)
              out.push(fail(keyword, spec, { additionalProperties: failing }));
          }
        }
        break;
      case 'patternProperties':
        if (type === 'object') {
          for (const [pattern, sub] of Object.entries(spec as Document)) {
            const re = new RegExp(pattern, 'u');
            const failing = Object.keys(value as Document).filter(
              (k) =>
                re.test(k) &&
                schemaFailures(sub as Document, (value as Document)[k], child(k), hints).length > 0,
            );
            if (failing.length > 0)
              out.push(
                fail(keyword, spec, {
                  reason: 'property did not match the schema',
                  failingProperties: failing,
                }),
              );
          }
        }
        break;
      case 'items':
        if (type === 'array') {
          const items = value as unknown[];
          const schemas = Array.isArray(spec) ? (spec as Document[]) : undefined;
          const index = items.findIndex((item, i) => {
            const sub = schemas ? schemas[i] : (spec as Document);
            return sub !== undefined && schemaFailures(sub, item, child(i), hints).length > 0;
          });
          if (index >= 0)
            out.push(
              fail(keyword, spec, {
                reason: 'At least one item did not match the sub-schema',
                itemIndex: index,
              }),
            );
        }
        break;
      case 'minItems':
      case 'maxItems':
        if (type === 'array') {
          const n = (value as unknown[]).length;
          if (keyword === 'minItems' ? n < Number(spec) : n > Number(spec))
            out.push(
              fail(keyword, spec, {
                reason: 'array did not match specified length',
                consideredValue: value,
              }),
            );
        }
        break;
      case 'uniqueItems':
        if (type === 'array' && spec === true) {
          const keys = (value as unknown[]).map((v) => keyOf(v));
          if (new Set(keys).size !== keys.length)
            out.push(
              fail(keyword, spec, { reason: 'found a duplicate item', consideredValue: value }),
            );
        }
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf': {
        const results = (spec as Document[]).map((sub) => schemaFailures(sub, value, path, hints));
        const passing = results.filter((r) => r.length === 0).length;
        const ok =
          keyword === 'allOf'
            ? passing === results.length
            : keyword === 'anyOf'
              ? passing > 0
              : passing === 1;
        if (!ok) {
          out.push({
            operatorName: keyword,
            schemasNotSatisfied: results.flatMap((details, index) =>
              details.length > 0 ? [{ index, details }] : [],
            ),
          });
        }
        break;
      }
      case 'not':
        if (schemaFailures(spec as Document, value, path, hints).length === 0)
          out.push({ operatorName: 'not', reason: 'child expression matched' });
        break;
      case 'dependencies':
        if (type === 'object') {
          for (const [name, dependency] of Object.entries(spec as Document)) {
            if ((value as Document)[name] === undefined) continue;
            const ok = Array.isArray(dependency)
              ? dependency.every((d) => (value as Document)[d as string] !== undefined)
              : schemaFailures(dependency as Document, value, path, hints).length === 0;
            if (!ok) out.push(fail(keyword, spec, { failingDependencies: [name] }));
          }
        }
        break;
      default:
        break;
    }
  }
  return out;
}

function jsonSchemaDetail(schema: Document, record: StoredDoc): Detail | undefined {
  const failures = schemaFailures(schema, record.doc, '', record.hints);
  if (failures.length === 0) return undefined;
  const detail: Detail = { operatorName: '$jsonSchema' };
  if (typeof schema.title === 'string') detail.title = schema.title;
  detail.schemaRulesNotSatisfied = failures;
  return detail;
}
