import { readFileSync } from 'node:fs';

export interface TierLevel {
  name: string;
  minSpend: number;
}

export interface Rules {
  tiers: { windowDays: number; levels: TierLevel[] };
  lifecycle: { newForDays: number; atRiskAfterDays: number; churnedAfterDays: number };
}

export const DEFAULT_RULES: Rules = {
  tiers: {
    windowDays: 365,
    levels: [
      { name: 'basic', minSpend: 0 },
      { name: 'silver', minSpend: 1000 },
      { name: 'gold', minSpend: 5000 },
      { name: 'platinum', minSpend: 20000 },
    ],
  },
  lifecycle: { newForDays: 30, atRiskAfterDays: 90, churnedAfterDays: 180 },
};

/** Every problem of a rules document, so an operator can fix them in one go. */
export function validateRules(input: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(input)) return ['rules: must be a JSON object'];
  const tiers = input.tiers;
  if (!isObject(tiers)) {
    problems.push('tiers: must be an object');
  } else {
    if (!isPositiveInteger(tiers.windowDays))
      problems.push('tiers.windowDays: must be a positive integer');
    if (!Array.isArray(tiers.levels) || tiers.levels.length === 0) {
      problems.push('tiers.levels: must be a non-empty array');
    } else {
      tiers.levels.forEach((level: unknown, index) => {
        if (!isObject(level) || typeof level.name !== 'string' || level.name.length === 0) {
          problems.push(`tiers.levels[${index}].name: must be a non-empty string`);
        }
        if (!isObject(level) || typeof level.minSpend !== 'number' || !(level.minSpend >= 0)) {
          problems.push(`tiers.levels[${index}].minSpend: must be a number >= 0`);
        }
      });
      const spends = (tiers.levels as Array<{ minSpend?: unknown }>).map((l) => l?.minSpend);
      if (spends[0] !== 0)
        problems.push('tiers.levels[0].minSpend: the lowest tier must start at 0');
      for (let i = 1; i < spends.length; i += 1) {
        if (typeof spends[i] === 'number' && typeof spends[i - 1] === 'number') {
          if ((spends[i] as number) <= (spends[i - 1] as number)) {
            problems.push(`tiers.levels[${i}].minSpend: must be greater than the tier before it`);
          }
        }
      }
    }
  }
  const lifecycle = input.lifecycle;
  if (!isObject(lifecycle)) {
    problems.push('lifecycle: must be an object');
  } else {
    for (const key of ['newForDays', 'atRiskAfterDays', 'churnedAfterDays'] as const) {
      if (!isPositiveInteger(lifecycle[key]))
        problems.push(`lifecycle.${key}: must be a positive integer`);
    }
    if (
      isPositiveInteger(lifecycle.atRiskAfterDays) &&
      isPositiveInteger(lifecycle.churnedAfterDays) &&
      lifecycle.churnedAfterDays <= lifecycle.atRiskAfterDays
    ) {
      problems.push('lifecycle.churnedAfterDays: must be greater than atRiskAfterDays');
    }
  }
  return problems;
}

export function loadRulesFile(path: string): Rules {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`CRM_RULES_FILE ${path}: ${(error as Error).message}`, { cause: error });
  }
  const problems = validateRules(parsed);
  if (problems.length > 0) throw new Error(`CRM_RULES_FILE ${path}: ${problems.join('; ')}`);
  return parsed as Rules;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
