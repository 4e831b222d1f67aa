// An independent reading of API.md's tier and lifecycle rules, written for the tests from the contract's text
// alone: it shares no code with libs/domain, so a matrix that agrees with it is checked, not restated.

const DAY = 86_400_000;

export const REFERENCE_RULES = {
  windowDays: 365,
  tiers: [
    { name: 'basic', minSpend: 0 },
    { name: 'silver', minSpend: 1000 },
    { name: 'gold', minSpend: 5000 },
    { name: 'platinum', minSpend: 20000 },
  ],
  newForDays: 30,
  atRiskAfterDays: 90,
  churnedAfterDays: 180,
};

export interface ReferenceCustomer {
  registeredAt: number;
  /** Purchases as [time, amount], any order. */
  purchases: Array<[number, number]>;
}

/** The stage held at `t`: none before registration, prospect before the first purchase. */
export function referenceStage(customer: ReferenceCustomer, t: number): string {
  if (customer.registeredAt > t) return 'none';
  const times = customer.purchases.map(([at]) => at).filter((at) => at <= t);
  if (times.length === 0) return 'prospect';
  const first = Math.min(...times);
  const last = Math.max(...times);
  const r = REFERENCE_RULES;
  if (t - last >= r.churnedAfterDays * DAY) return 'churned';
  if (t - last >= r.atRiskAfterDays * DAY) return 'at_risk';
  if (t < first + r.newForDays * DAY) return 'new';
  return 'active';
}

/** The tier held at `t`, by walking purchases and period ends in time order. */
export function referenceTier(customer: ReferenceCustomer, t: number): string {
  const r = REFERENCE_RULES;
  const window = r.windowDays * DAY;
  const purchases = [...customer.purchases].sort((a, b) => a[0] - b[0]);
  const spendAt = (moment: number) =>
    purchases
      .filter(([at]) => at > moment - window && at <= moment)
      .reduce((sum, [, amount]) => sum + amount, 0);
  const qualifying = (spend: number) => {
    let index = 0;
    r.tiers.forEach((tier, i) => {
      if (spend >= tier.minSpend) index = i;
    });
    return index;
  };
  let tier = -1;
  let periodEnd = Infinity;
  let next = 0;
  for (;;) {
    const purchaseAt = next < purchases.length ? purchases[next][0] : Infinity;
    const moment = Math.min(purchaseAt, periodEnd);
    if (moment > t) break;
    if (periodEnd <= purchaseAt) {
      const spend = spendAt(periodEnd);
      const at = periodEnd;
      if (spend < r.tiers[tier].minSpend) tier = Math.max(qualifying(spend), tier - 1);
      periodEnd = tier > 0 ? at + window : Infinity;
      continue;
    }
    const spend = spendAt(purchaseAt);
    const wanted = qualifying(spend);
    if (wanted > tier) {
      tier = wanted;
      periodEnd = tier > 0 ? purchaseAt + window : Infinity;
    }
    next += 1;
  }
  return tier < 0 ? 'none' : r.tiers[tier].name;
}
