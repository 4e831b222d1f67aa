/**
 * The shapes of the API's answers that the dashboard reads (see /docs-json). Written out rather than imported from the
 * server's sources: the bundle is compiled for the browser apart from the server, which it reaches only over HTTP.
 */

export interface MigrationMatrix {
  dimension: string;
  from: string;
  to: string;
  levels: string[];
  matrix: Record<string, Record<string, number>>;
  totals: { from: Record<string, number>; to: Record<string, number>; customers: number };
}

export interface CustomerRow {
  customerId: string;
  personalData?: 'full' | 'masked' | 'erased';
  name?: string;
  email?: string;
  phone?: string;
  region?: string | null;
  lifecycle?: { stage: string; since: string } | null;
  tier?: { level: string; since: string } | null;
}

export interface MigrationCustomers {
  total: number;
  items: CustomerRow[];
  nextCursor: string | null;
}

export interface LifecycleReport {
  at: string;
  distribution: Record<string, number>;
  period: {
    from: string;
    to: string;
    customers: number;
    churned: number;
    retained: number;
    churnRate: number;
    retentionRate: number;
    flows: Record<string, Record<string, number>>;
  };
  atRisk: { customers: number; sample: string[] };
}

export interface SegmentReport {
  at: string;
  customers: number;
  value: number;
  segments: Array<{
    level: string;
    customers: number;
    customerShare: number;
    value: number;
    valueShare: number;
    top: Array<{ customerId: string; value: number }>;
  }>;
}

export interface RfmReport {
  boundaries: { customers: number; windowDays: number };
  segments: Record<string, { customers: number; share: number; value: number }>;
  grid: Record<string, Record<string, number>>;
}

export interface SatisfactionGroup {
  customers: number;
  meanScore: number | null;
  meanSpendInWindow: number | null;
  meanComplaints: number | null;
  openComplaints: number;
  tiers: Record<string, number>;
  stages: Record<string, number>;
  regions: Record<string, number>;
  sample: Array<{ customerId: string; meanScore: number }>;
}

export interface SatisfactionReport {
  rated: number;
  top: SatisfactionGroup;
  bottom: SatisfactionGroup;
}

export interface ComplaintRow {
  group: Record<string, string | null>;
  complaints: number;
  resolved: number;
  resolvedShare: number;
  meanHoursToResolve: number | null;
  satisfiedShare: number | null;
  escalationRate: number;
  firstContactResolution: number;
}

export interface InteractionRow {
  group: Record<string, string | null>;
  touchpoints: number;
  customers: number;
}

export interface Profile extends CustomerRow {
  status: string;
  registeredAt: string | null;
  firstSeenAt: string | null;
  lastSeenAt: string | null;
  spend: { lifetime: number; margin: number; purchases: number; inTierWindow: { amount: number } };
  orders: number;
  lastPurchaseAt: string | null;
  rfm: { cell: string; segment: string } | null;
  satisfaction: { meanScore: number | null; meanNps: number | null } | null;
  complaints: { openCount: number; opened: number };
  quadrant?: { level: string } | null;
  account?: { level: string } | null;
}

export interface TimelineInterval {
  dimension: string;
  level: string;
  from: string;
  to: string | null;
  reason: string;
}

export interface HistoryEvent {
  revision: number;
  type: string;
  kind: string | null;
  occurredAt: string;
  recordedAt: string;
  actor: string;
  source: string | null;
}

export interface HistoryPage {
  items: HistoryEvent[];
  nextCursor: string | null;
}

export interface AsOf {
  at: string;
  knownAt: string;
  eventsApplied: number;
  stage: string | null;
  tier: string | null;
  segments: { quadrant: string | null; account: string | null };
  profile: Profile;
}
