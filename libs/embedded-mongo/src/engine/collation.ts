import { type Document } from 'bson';
import { isPlainObject, keyOf } from '../bson/bson-values';
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
  /** Compares two strings by the collation (ICU's bound compare: pass it as it is). */
  readonly compare: (a: string, b: string) => number;

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
    this.compare = this.collator.compare;
  }

  /**
   * A hash key every string this collation calls equal shares, and no other string does: the
   * first string seen of its equivalence class (see CollationClasses). Index lookups and unique
   * checks hash on it. `register: false` (a lookup) does not remember an unseen string.
   */
  key(value: string, register = true): string {
    return this.classes.representative(value, register);
  }

  /** A fresh set of equivalence classes under this collation, for one operation ($group, …). */
  newClasses(): CollationClasses {
    return new CollationClasses(this.collator);
  }

  /**
   * A key values equal under this collation share (their strings replaced by their class, inside
   * arrays and documents too), over fresh classes: for the values of one operation.
   */
  equalityKey(): (value: unknown) => string {
    const classes = this.newClasses();
    const fold = (s: string): string => classes.representative(s);
    return (value) => keyOf(foldStrings(value ?? null, fold));
  }

  /** How many classes `key` has registered. */
  get classCount(): number {
    return this.ownClasses?.size ?? 0;
  }

  private get classes(): CollationClasses {
    return (this.ownClasses ??= this.newClasses());
  }
  private ownClasses: CollationClasses | undefined;
}

/** Removals after which long-kept classes may start over, however few they are. */
export const MIN_CLASS_RENEWAL = 10_000;
/** Strings kept in collation order in blocks of at most this many, split in two when full. */
const BLOCK_SIZE = 512;
/** Exact strings whose representative is remembered; the memo starts over past this. */
const MEMO_SIZE = 100_000;

/**
 * The equivalence classes of strings under one collator, each named by its first member seen.
 * ICU compares by sort keys, so its equality is an equivalence and its order total: the
 * representatives are kept sorted by the collator and a string's class is found by binary search
 * with `compare`, never by folding characters by hand, so the classes are exactly ICU's (`ß` and
 * `ss` at strength 1, canonical equivalents, ignorable characters, digit runs under
 * numericOrdering). A class is remembered once registered, even when no stored value is left in
 * it; whoever keeps classes for long (an index) starts over with fresh ones now and then.
 */
export class CollationClasses {
  private readonly blocks: string[][] = [];
  private readonly memo = new Map<string, string>();
  /** How many classes are registered. */
  size = 0;

  constructor(private readonly collator: Intl.Collator) {}

  /**
   * The representative of the value's class. An unseen class is registered (the value becomes
   * its representative) unless `register` is false: then the value itself is returned, which can
   * equal no representative, since a representative equal to it would have been found.
   */
  representative(value: string, register = true): string {
    const memo = this.memo.get(value);
    if (memo !== undefined) return memo;
    const compare = this.collator.compare;
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = blocks[mid];
      if (compare(block[block.length - 1], value) < 0) lo = mid + 1;
      else hi = mid;
    }
    const blockIndex = Math.min(lo, blocks.length - 1);
    const block: string[] | undefined = blocks[blockIndex];
    let at = 0;
    if (block) {
      let l = 0;
      let h = block.length;
      while (l < h) {
        const mid = (l + h) >>> 1;
        if (compare(block[mid], value) < 0) l = mid + 1;
        else h = mid;
      }
      at = l;
      if (at < block.length && compare(block[at], value) === 0)
        return this.remember(value, block[at]);
    }
    if (!register) return value;
    this.size++;
    if (!block) blocks.push([value]);
    else {
      block.splice(at, 0, value);
      if (block.length > 2 * BLOCK_SIZE) blocks.splice(blockIndex + 1, 0, block.splice(BLOCK_SIZE));
    }
    return this.remember(value, value);
  }

  private remember(value: string, representative: string): string {
    if (this.memo.size >= MEMO_SIZE) this.memo.clear();
    this.memo.set(value, representative);
    return representative;
  }
}

/** The operation's collation, when it has one (mingo hands operators the options it was given). */
export function collationOf(options: unknown): Collation | undefined {
  const collation = (options as { collation?: unknown } | undefined)?.collation;
  return collation instanceof Collation ? collation : undefined;
}

/** Whether a value is or holds (in arrays and documents) a string. */
export function hasString(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (Array.isArray(value)) return value.some(hasString);
  return isPlainObject(value) && Object.values(value).some(hasString);
}

/** The value with every string in it (arrays and documents too) replaced by `fold` of it. */
export function foldStrings(value: unknown, fold: (s: string) => string): unknown {
  if (typeof value === 'string') return fold(value);
  if (Array.isArray(value)) return value.map((v) => foldStrings(v, fold));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = foldStrings(v, fold);
    return out;
  }
  return value;
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
