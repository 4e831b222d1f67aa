import { readFileSync } from 'node:fs';
import {
  CURRENT_VALUE_METRICS,
  DEFAULT_POLICY_RULES,
  KEY_ACCOUNT_FACTORS,
  LONG_TERM_VALUE_METRICS,
  type PolicyRules,
  type PolicyRulesInput,
  versionedRules,
} from '@app/domain';

export type { TierLevel } from '@app/domain';

/** The lifecycle, tier and segment rules, with the version every transition records. */
export type Rules = PolicyRules;

/** API.md's example rules file, versioned by its hash. */
export const DEFAULT_RULES: Rules = DEFAULT_POLICY_RULES;

type Problems = string[];
type Json = Record<string, unknown>;

/** Every problem of a rules document, each with its path, so an operator can fix them in one go. */
export function validateRules(input: unknown): string[] {
  const problems: Problems = [];
  if (!isObject(input)) return ['rules: must be a JSON object'];
  onlyKnown(input, '', ['version', 'tiers', 'lifecycle', 'valueMatrix', 'keyAccounts'], problems);
  if (input.version !== undefined && !(typeof input.version === 'string' && input.version !== '')) {
    problems.push('version: must be a non-empty string when given');
  }
  validateTiers(input.tiers, problems);
  validateLifecycle(input.lifecycle, problems);
  validateValueMatrix(input.valueMatrix, problems);
  validateKeyAccounts(input.keyAccounts, problems);
  return problems;
}

function validateTiers(tiers: unknown, problems: Problems): void {
  if (!isObject(tiers)) {
    problems.push('tiers: must be an object');
    return;
  }
  onlyKnown(tiers, 'tiers.', ['windowDays', 'levels'], problems);
  if (!isPositiveInteger(tiers.windowDays)) {
    problems.push('tiers.windowDays: must be a positive integer');
  }
  if (!Array.isArray(tiers.levels) || tiers.levels.length === 0) {
    problems.push('tiers.levels: must be a non-empty array');
    return;
  }
  const names = new Set<string>();
  tiers.levels.forEach((level: unknown, index) => {
    const name = isObject(level) ? level.name : undefined;
    if (typeof name !== 'string' || name.length === 0) {
      problems.push(`tiers.levels[${index}].name: must be a non-empty string`);
    } else if (names.has(name)) {
      problems.push(`tiers.levels[${index}].name: "${name}" is already the name of another tier`);
    } else {
      names.add(name);
    }
    if (!isObject(level) || !isNumber(level.minSpend) || !(level.minSpend >= 0)) {
      problems.push(`tiers.levels[${index}].minSpend: must be a number >= 0`);
    }
  });
  const spends = (tiers.levels as Array<{ minSpend?: unknown } | null>).map((l) => l?.minSpend);
  if (spends[0] !== 0) problems.push('tiers.levels[0].minSpend: the lowest tier must start at 0');
  for (let i = 1; i < spends.length; i += 1) {
    const [before, spend] = [spends[i - 1], spends[i]];
    if (isNumber(spend) && isNumber(before) && spend <= before) {
      problems.push(`tiers.levels[${i}].minSpend: must be greater than the tier before it`);
    }
  }
}

function validateLifecycle(lifecycle: unknown, problems: Problems): void {
  if (!isObject(lifecycle)) {
    problems.push('lifecycle: must be an object');
    return;
  }
  const keys = ['newForDays', 'atRiskAfterDays', 'churnedAfterDays'] as const;
  onlyKnown(lifecycle, 'lifecycle.', keys, problems);
  for (const key of keys) {
    if (!isPositiveInteger(lifecycle[key])) {
      problems.push(`lifecycle.${key}: must be a positive integer`);
    }
  }
  const { newForDays, atRiskAfterDays, churnedAfterDays } = lifecycle;
  // A new customer becomes active before anyone could call them at risk.
  if (
    isPositiveInteger(newForDays) &&
    isPositiveInteger(atRiskAfterDays) &&
    atRiskAfterDays <= newForDays
  ) {
    problems.push('lifecycle.atRiskAfterDays: must be greater than newForDays');
  }
  if (
    isPositiveInteger(atRiskAfterDays) &&
    isPositiveInteger(churnedAfterDays) &&
    churnedAfterDays <= atRiskAfterDays
  ) {
    problems.push('lifecycle.churnedAfterDays: must be greater than atRiskAfterDays');
  }
}

function validateValueMatrix(matrix: unknown, problems: Problems): void {
  if (!isObject(matrix)) {
    problems.push('valueMatrix: must be an object');
    return;
  }
  onlyKnown(matrix, 'valueMatrix.', ['windowDays', 'currentValue', 'longTermValue'], problems);
  if (matrix.windowDays !== undefined && !isPositiveInteger(matrix.windowDays)) {
    problems.push('valueMatrix.windowDays: must be a positive integer when given');
  }
  const current = matrix.currentValue;
  if (!isObject(current)) {
    problems.push('valueMatrix.currentValue: must be an object');
  } else {
    onlyKnown(current, 'valueMatrix.currentValue.', ['metric', 'high'], problems);
    oneOf(current.metric, CURRENT_VALUE_METRICS, 'valueMatrix.currentValue.metric', problems);
    positive(current.high, 'valueMatrix.currentValue.high', problems);
  }
  const longTerm = matrix.longTermValue;
  if (!isObject(longTerm)) {
    problems.push('valueMatrix.longTermValue: must be an object');
  } else {
    onlyKnown(longTerm, 'valueMatrix.longTermValue.', ['metric', 'high', 'horizonYears'], problems);
    oneOf(longTerm.metric, LONG_TERM_VALUE_METRICS, 'valueMatrix.longTermValue.metric', problems);
    positive(longTerm.high, 'valueMatrix.longTermValue.high', problems);
    if (longTerm.horizonYears !== undefined) {
      positive(longTerm.horizonYears, 'valueMatrix.longTermValue.horizonYears', problems);
    }
  }
}

function validateKeyAccounts(accounts: unknown, problems: Problems): void {
  if (!isObject(accounts)) {
    problems.push('keyAccounts: must be an object');
    return;
  }
  onlyKnown(accounts, 'keyAccounts.', ['attractiveness', 'strength', 'caps'], problems);
  for (const score of ['attractiveness', 'strength'] as const) {
    const path = `keyAccounts.${score}`;
    const value = accounts[score];
    if (!isObject(value)) {
      problems.push(`${path}: must be an object`);
      continue;
    }
    onlyKnown(value, `${path}.`, ['factors', 'high'], problems);
    validateFactors(value.factors, `${path}.factors`, problems);
    if (!isNumber(value.high) || value.high < 0 || value.high > 1) {
      problems.push(`${path}.high: must be a number from 0 to 1 (scores are 0..1)`);
    }
  }
  if (accounts.caps !== undefined) {
    if (!isObject(accounts.caps)) {
      problems.push('keyAccounts.caps: must be an object when given');
    } else {
      const capped = ['spend12m', 'margin12m', 'predictedValue', 'tenureYears'] as const;
      onlyKnown(accounts.caps, 'keyAccounts.caps.', capped, problems);
      for (const [name, cap] of Object.entries(accounts.caps)) {
        if ((capped as readonly string[]).includes(name)) {
          positive(cap, `keyAccounts.caps.${name}`, problems);
        }
      }
    }
  }
}

function validateFactors(factors: unknown, path: string, problems: Problems): void {
  if (!isObject(factors) || Object.keys(factors).length === 0) {
    problems.push(`${path}: must be an object of factor weights`);
    return;
  }
  let sum = 0;
  for (const [name, weight] of Object.entries(factors)) {
    if (!(KEY_ACCOUNT_FACTORS as readonly string[]).includes(name)) {
      problems.push(`${path}.${name}: unknown factor (known: ${KEY_ACCOUNT_FACTORS.join(', ')})`);
    }
    if (!isNumber(weight) || weight < 0) {
      problems.push(`${path}.${name}: weight must be a number >= 0`);
    } else {
      sum += weight;
    }
  }
  if (sum <= 0) problems.push(`${path}: weights must add up to more than 0`);
}

/**
 * The rules in a file, with their version: the file's `"version"` when given, otherwise a short
 * hash of the rules, so every transition names the rule set that produced it.
 */
export function loadRulesFile(path: string): Rules {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`CRM_RULES_FILE ${path}: ${(error as Error).message}`, { cause: error });
  }
  const problems = validateRules(parsed);
  if (problems.length > 0) throw new Error(`CRM_RULES_FILE ${path}: ${problems.join('; ')}`);
  return versionedRules(parsed as PolicyRulesInput);
}

function onlyKnown(value: Json, path: string, known: readonly string[], problems: Problems): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) problems.push(`${path}${key}: unknown field`);
  }
}

function oneOf(value: unknown, allowed: readonly string[], path: string, problems: Problems) {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    problems.push(`${path}: must be one of ${allowed.join(', ')}`);
  }
}

function positive(value: unknown, path: string, problems: Problems): void {
  if (!isNumber(value) || value <= 0) problems.push(`${path}: must be a number > 0`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
