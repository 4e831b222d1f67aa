import { type LifecycleStage, type LifecycleStageChanged } from './customer.events';
import { type LifecyclePosition } from './customer.state';
import { DAY_MS, type PolicyRules } from './policy-rules';

// Lifecycle stages (DESIGN.md 3.2, API.md "Rules file"). `prospect` needs no event: the read side
// derives it from the registration.

export interface DueStage {
  readonly to: LifecycleStage;
  readonly reason: string;
  /** Effective moment in ms. */
  readonly at: number;
}

/**
 * The next stage the passage of time brings: `active` newForDays after becoming `new`, `at_risk`
 * atRiskAfterDays after the last purchase, `churned` churnedAfterDays after it. Never effective
 * before the current stage began (rules may change between versions).
 */
export function nextStage(
  held: LifecyclePosition | null,
  lastPurchaseAt: string | null,
  rules: PolicyRules,
): DueStage | null {
  if (held === null || lastPurchaseAt === null) return null;
  const since = Date.parse(held.since);
  const last = Date.parse(lastPurchaseAt);
  const { newForDays, atRiskAfterDays, churnedAfterDays } = rules.lifecycle;
  const due = (to: LifecycleStage, reason: string, at: number): DueStage => ({
    to,
    reason,
    at: Math.max(at, since),
  });
  switch (held.stage) {
    case 'prospect':
    case 'new':
      return due('active', 'new_period_ended', since + newForDays * DAY_MS);
    case 'active':
      return due('at_risk', 'no_recent_purchase', last + atRiskAfterDays * DAY_MS);
    case 'at_risk':
      return due('churned', 'no_recent_purchase', last + churnedAfterDays * DAY_MS);
    case 'churned':
      return null;
  }
}

/**
 * What a purchase (judged at `at`) does to the stage: the first one makes the customer `new`; one
 * by an at-risk or churned customer wins them back (`active`, reason `win_back`) if it is still
 * recent at `at` (a back-dated purchase judged later may not be).
 */
export function stageAfterPurchase(
  held: LifecyclePosition | null,
  firstPurchase: boolean,
  lastPurchaseAt: string,
  at: number,
  rules: PolicyRules,
): DueStage | null {
  if (held === null) {
    // A customer who bought before the policies ran has no stage yet; their next purchase gives one.
    return firstPurchase
      ? { to: 'new', reason: 'first_purchase', at }
      : { to: 'active', reason: 'purchase', at };
  }
  if (held.stage !== 'at_risk' && held.stage !== 'churned') return null;
  const recentUntil = Date.parse(lastPurchaseAt) + rules.lifecycle.atRiskAfterDays * DAY_MS;
  return at < recentUntil ? { to: 'active', reason: 'win_back', at } : null;
}

export function stageChanged(
  customerId: string,
  from: LifecycleStage | null,
  due: DueStage,
  effectiveAt: string,
  rules: PolicyRules,
): LifecycleStageChanged {
  return {
    type: 'LifecycleStageChanged',
    data: {
      customerId,
      from,
      to: due.to,
      reason: due.reason,
      ruleVersion: rules.version,
      effectiveAt,
    },
  };
}
