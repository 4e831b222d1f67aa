import { createHash } from 'node:crypto';

// The rules the lifecycle, tier and segment policies apply (API.md "Rules file"). Every transition
// names the rule set that produced it through `version`, so a history stays explainable after the
// rules change.

export interface TierLevel {
  readonly name: string;
  readonly minSpend: number;
}

export const CURRENT_VALUE_METRICS = ['margin12m', 'spend12m'] as const;
export type CurrentValueMetric = (typeof CURRENT_VALUE_METRICS)[number];

export const LONG_TERM_VALUE_METRICS = ['predicted'] as const;
export type LongTermValueMetric = (typeof LONG_TERM_VALUE_METRICS)[number];

/** Factors a key-account score may weigh, each normalised to 0..1 (libs/domain/README.md). */
export const KEY_ACCOUNT_FACTORS = [
  'spend12m',
  'margin12m',
  'growth',
  'predictedValue',
  'satisfaction',
  'nps',
  'complaintsResolvedShare',
  'tenureYears',
  'repeatRate',
] as const;
export type KeyAccountFactor = (typeof KEY_ACCOUNT_FACTORS)[number];

/** The amounts at which a factor that grows without bound counts as 1. */
export interface NormalisationCaps {
  readonly spend12m: number;
  readonly margin12m: number;
  readonly predictedValue: number;
  readonly tenureYears: number;
}

export const DEFAULT_NORMALISATION_CAPS: NormalisationCaps = {
  spend12m: 20000,
  margin12m: 5000,
  predictedValue: 50000,
  tenureYears: 5,
};

export interface WeightedScore {
  readonly factors: Readonly<Partial<Record<KeyAccountFactor, number>>>;
  /** A score (0..1) at or above this is high. */
  readonly high: number;
}

export interface PolicyRulesInput {
  readonly version?: string;
  readonly tiers: { readonly windowDays: number; readonly levels: readonly TierLevel[] };
  readonly lifecycle: {
    readonly newForDays: number;
    readonly atRiskAfterDays: number;
    readonly churnedAfterDays: number;
  };
  readonly valueMatrix: {
    /** The trailing window of current value and of the key-account 12-month factors; default 365. */
    readonly windowDays?: number;
    readonly currentValue: { readonly metric: CurrentValueMetric; readonly high: number };
    readonly longTermValue: {
      readonly metric: LongTermValueMetric;
      readonly high: number;
      /** Years of predicted value; default 3. */
      readonly horizonYears?: number;
    };
  };
  readonly keyAccounts: {
    readonly attractiveness: WeightedScore;
    readonly strength: WeightedScore;
    readonly caps?: Partial<NormalisationCaps>;
  };
}

/** Validated rules with the version every transition records. */
export type PolicyRules = PolicyRulesInput & { readonly version: string };

export const DEFAULT_VALUE_WINDOW_DAYS = 365;
export const DEFAULT_HORIZON_YEARS = 3;

/** API.md's example rules file, which is also what runs when no CRM_RULES_FILE is given. */
export const DEFAULT_RULES_INPUT: PolicyRulesInput = {
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
  valueMatrix: {
    currentValue: { metric: 'margin12m', high: 2000 },
    longTermValue: { metric: 'predicted', high: 5000 },
  },
  keyAccounts: {
    attractiveness: { factors: { spend12m: 0.5, margin12m: 0.3, growth: 0.2 }, high: 0.6 },
    strength: {
      factors: {
        satisfaction: 0.4,
        complaintsResolvedShare: 0.3,
        tenureYears: 0.1,
        repeatRate: 0.2,
      },
      high: 0.6,
    },
  },
};

/**
 * The rules with their version: the explicit `version` when given, otherwise the first 12 hex
 * digits of the SHA-256 of their canonical JSON (keys sorted), so equal rules get equal versions
 * whatever the layout of the file.
 */
export function versionedRules(input: PolicyRulesInput): PolicyRules {
  if (typeof input.version === 'string' && input.version.length > 0) {
    return input as PolicyRules;
  }
  const { version: _ignored, ...rules } = input;
  const version = createHash('sha256').update(canonicalJson(rules)).digest('hex').slice(0, 12);
  return { ...rules, version };
}

export const DEFAULT_POLICY_RULES: PolicyRules = versionedRules(DEFAULT_RULES_INPUT);

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const DAY_MS = 86_400_000;
export const YEAR_MS = 365 * DAY_MS;
