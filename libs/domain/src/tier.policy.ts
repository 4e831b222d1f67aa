import { type TierChanged } from './customer.events';
import { type Activity, LEDGER, type TierHeld } from './customer.state';
import { DAY_MS, type PolicyRules } from './policy-rules';

// Membership tiers (API.md "Rules file"). Pure functions of the facts in Activity and the rules:
// the orchestration in customer.policies.ts decides when each is asked.

/** Purchases minus refunds with occurredAt in (at − windowDays, at]. */
export function windowSpend(activity: Activity, at: number, windowDays: number): number {
  return activity.ledger.sumIn(at - windowDays * DAY_MS, at)[LEDGER.spend];
}

/** Index of the highest tier whose minSpend the amount reaches; −1 when it reaches none. */
export function qualifyingLevel(rules: PolicyRules, spend: number): number {
  let level = -1;
  rules.tiers.levels.forEach((tier, index) => {
    if (spend >= tier.minSpend) level = index;
  });
  return level;
}

/** A tier unknown to the rules (enrolled by name, or dropped from a later rule set) ranks lowest. */
export function tierLevel(rules: PolicyRules, name: string): number {
  return Math.max(
    0,
    rules.tiers.levels.findIndex((tier) => tier.name === name),
  );
}

/** A buyer who is not a member becomes one at the first purchase, at the tier it qualifies for. */
export function firstMembership(
  customerId: string,
  activity: Activity,
  at: string,
  rules: PolicyRules,
): TierChanged {
  const spend = windowSpend(activity, Date.parse(at), rules.tiers.windowDays);
  const level = Math.max(0, qualifyingLevel(rules, spend));
  return tierChanged(
    customerId,
    null,
    rules.tiers.levels[level].name,
    'first_purchase',
    spend,
    at,
    rules,
  );
}

/**
 * A purchase whose window spend qualifies for a higher tier upgrades to the highest one it
 * qualifies for (several levels at once if need be); the upgrade starts a qualification period.
 */
export function upgrade(
  customerId: string,
  activity: Activity,
  held: TierHeld,
  at: string,
  rules: PolicyRules,
): TierChanged | null {
  const spend = windowSpend(activity, Date.parse(at), rules.tiers.windowDays);
  const level = qualifyingLevel(rules, spend);
  if (level <= tierLevel(rules, held.name)) return null;
  return tierChanged(
    customerId,
    held.name,
    rules.tiers.levels[level].name,
    'upgrade',
    spend,
    at,
    rules,
  );
}

/**
 * The first end of a qualification period after `after`, or null for a tier that never expires.
 * Periods are anchored at the tier's last change: a renewal appends nothing, so the periods of a
 * tier held since S end at S + windowDays, S + 2·windowDays, … until a drop starts new ones.
 */
export function nextPeriodEnd(held: TierHeld, after: number, rules: PolicyRules): number | null {
  if (tierLevel(rules, held.name) === 0) return null; // the lowest tier (basic) never expires
  const period = rules.tiers.windowDays * DAY_MS;
  const since = Date.parse(held.since);
  const periods = Math.max(1, Math.floor((after - since) / period) + 1);
  return since + periods * period;
}

/**
 * At the end of a period (moment `end`), the window spend renews the tier when it still qualifies
 * (null: nothing to append); otherwise the member drops to the highest tier the spend qualifies
 * for, but at most one level (a soft landing), effective at the end of the period.
 */
export function periodEnded(
  customerId: string,
  activity: Activity,
  held: TierHeld,
  end: number,
  rules: PolicyRules,
): TierChanged | null {
  const spend = windowSpend(activity, end, rules.tiers.windowDays);
  const current = tierLevel(rules, held.name);
  const qualifies = qualifyingLevel(rules, spend);
  if (qualifies >= current) return null;
  const to = rules.tiers.levels[Math.max(qualifies, current - 1)].name;
  const at = new Date(end).toISOString();
  return tierChanged(customerId, held.name, to, 'period_end_drop', spend, at, rules);
}

/** An enrolment is a tier change too, so the tier dimension reads from TierChanged alone. */
export function enrolled(
  customerId: string,
  activity: Activity,
  tier: string,
  at: string,
  rules: PolicyRules,
): TierChanged {
  const spend = windowSpend(activity, Date.parse(at), rules.tiers.windowDays);
  return tierChanged(customerId, null, tier, 'enrolled', spend, at, rules);
}

function tierChanged(
  customerId: string,
  from: string | null,
  to: string,
  reason: string,
  qualifyingAmount: number,
  effectiveAt: string,
  rules: PolicyRules,
): TierChanged {
  return {
    type: 'TierChanged',
    data: {
      customerId,
      from,
      to,
      reason,
      qualifyingAmount,
      ruleVersion: rules.version,
      effectiveAt,
    },
  };
}
