import { type Document } from 'bson';
import { isPlainObject } from '../bson/bson-values';
import { enumValue, wrongType } from './field-checks';
import { MongoCommandError } from './mongo-error';

const CASE_FIRST: readonly string[] = ['upper', 'lower', 'off'];
const ALTERNATE: readonly string[] = ['non-ignorable', 'shifted'];
const MAX_VARIABLE: readonly string[] = ['punct', 'space'];
const FIELDS = new Set([
  'locale',
  'caseLevel',
  'caseFirst',
  'strength',
  'numericOrdering',
  'alternate',
  'maxVariable',
  'normalization',
  'backwards',
  'version',
]);

/**
 * A non-simple collation: string comparison by ICU through `Intl.Collator` (Node's full ICU), with
 * mongod's options mapped onto it: strength 1 compares base letters, 2 adds accents, 3 (the default)
 * and above add case; caseLevel adds case to strength 1; numericOrdering, caseFirst and
 * alternate "shifted" (punctuation and spaces ignored) carry over.
 */
export class Collation {
  /** The spec with every field filled in, as listCollections and listIndexes show it. */
  readonly spec: Document;
  /** Equal for equal specs: two indexes or a query and an index agree when their ids do. */
  readonly id: string;
  private readonly collator: Intl.Collator;

  constructor(spec: Document) {
    this.spec = spec;
    this.id = JSON.stringify(spec);
    const strength = spec.strength as number;
    const caseLevel = spec.caseLevel === true;
    const sensitivity =
      strength === 1
        ? caseLevel
          ? 'case'
          : 'base'
        : strength === 2 && !caseLevel
          ? 'accent'
          : 'variant';
    this.collator = new Intl.Collator(icuLocale(spec.locale as string), {
      usage: 'sort',
      sensitivity,
      numeric: spec.numericOrdering === true,
      caseFirst: spec.caseFirst === 'off' ? 'false' : (spec.caseFirst as 'upper' | 'lower'),
      ignorePunctuation: spec.alternate === 'shifted',
    });
  }

  compare(a: string, b: string): number {
    return this.collator.compare(a, b);
  }

  /**
   * A hash key every string this collation calls equal shares (case folded below strength 3, accents
   * stripped at strength 1); index lookups and unique checks hash on it and compare with `compare`.
   */
  key(value: string): string {
    const strength = this.spec.strength as number;
    if (strength >= 3 && this.spec.alternate !== 'shifted') return value.normalize('NFC');
    let folded = value.normalize('NFKD');
    if (strength === 1) folded = folded.replace(/\p{M}/gu, '');
    if (strength <= 2 && !this.spec.caseLevel) folded = folded.toLowerCase();
    if (this.spec.alternate === 'shifted') folded = folded.replace(/[\p{P}\p{Z}\s]/gu, '');
    return folded;
  }
}

/** mongod names locales with underscores (`en_US`), ICU in BCP 47 with hyphens. */
function icuLocale(locale: string): string {
  return locale.replace(/_/g, '-');
}

/**
 * Reads a `collation` option: undefined when absent, null for `{ locale: "simple" }` (binary
 * comparison, overriding a collection default), a Collation otherwise. Refuses what mongod refuses.
 */
export function parseCollation(value: unknown): Collation | null | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) {
    throw wrongType('collation', value, 'object');
  }
  for (const field of Object.keys(value)) {
    if (!FIELDS.has(field)) {
      throw new MongoCommandError(
        'Location40415',
        `BSON field 'collation.${field}' is an unknown field.`,
      );
    }
  }
  const locale: unknown = value.locale;
  if (locale === undefined) {
    throw new MongoCommandError(
      'Location40414',
      "BSON field 'collation.locale' is missing but a required field",
    );
  }
  if (typeof locale !== 'string') {
    throw wrongType('collation.locale', locale, 'string');
  }
  if (locale === 'simple') {
    if (Object.keys(value).length > 1) {
      throw new MongoCommandError(
        'BadValue',
        'If "locale" is set to "simple", then no other fields may be specified',
      );
    }
    return null;
  }
  if (!supportedLocale(locale)) {
    throw new MongoCommandError(
      'BadValue',
      `Field 'locale' is invalid in: { locale: "${locale}" }`,
    );
  }
  const strength = value.strength ?? 3;
  if (typeof strength !== 'number' || !Number.isInteger(strength)) {
    throw new MongoCommandError(
      'TypeMismatch',
      "BSON field 'collation.strength' is the wrong type, expected type 'int'",
    );
  }
  if (strength < 1 || strength > 5) {
    throw new MongoCommandError(
      'Location51024',
      `BSON field 'strength' value must be ${strength < 1 ? '>= 1' : '<= 5'}, actual value '${strength}'`,
    );
  }
  return new Collation({
    locale,
    caseLevel: booleanField(value, 'caseLevel'),
    caseFirst: enumValue(value, 'caseFirst', CASE_FIRST, 'off', 'collation.caseFirst'),
    strength,
    numericOrdering: booleanField(value, 'numericOrdering'),
    alternate: enumValue(value, 'alternate', ALTERNATE, 'non-ignorable', 'collation.alternate'),
    maxVariable: enumValue(value, 'maxVariable', MAX_VARIABLE, 'punct', 'collation.maxVariable'),
    normalization: booleanField(value, 'normalization'),
    backwards: booleanField(value, 'backwards'),
    version: '57.1',
  });
}

function supportedLocale(locale: string): boolean {
  try {
    return (
      Intl.Collator.supportedLocalesOf(icuLocale(locale), { localeMatcher: 'lookup' }).length > 0
    );
  } catch {
    return false;
  }
}

function booleanField(spec: Document, field: string): boolean {
  const value: unknown = spec[field];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw wrongType(`collation.${field}`, value, 'bool');
  }
  return value;
}
