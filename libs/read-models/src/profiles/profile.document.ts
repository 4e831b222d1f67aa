import type { PositionedDocument } from '../projection/document-fold';

export const PROFILES_COLLECTION = 'profiles';

/** A personal value as the event store holds it: sealed with the customer's key under the path it was sealed at. */
export interface SealedField {
  sealed: string;
  /** The path inside the event's data, part of the cipher's authenticated data (e.g. `changes.email`). */
  path: string;
}

export interface DimensionPosition {
  level: string;
  since: Date;
  reason: string;
  ruleVersion: string | null;
}

/** Spend and margin of one business day (UTC), for windows ending at any moment. */
export interface DaySpend {
  day: Date;
  amount: number;
  margin: number;
}

/**
 * The 360° profile of one customer. Personal values stay sealed (decrypted on read for roles that may see them), so
 * destroying the customer's key erases them here too without rewriting the document.
 */
export interface ProfileDocument extends PositionedDocument {
  customerId: string;
  status: 'live' | 'erased' | 'merged';
  origin: string | null;
  registeredAt: Date | null;
  region: string | null;
  personal: { name?: SealedField; email?: SealedField; phone?: SealedField };
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
  counts: {
    touchpoints: number;
    byChannel: Record<string, number>;
    byKind: Record<string, number>;
    byDirection: Record<string, number>;
  };
  spend: {
    lifetime: number;
    refunded: number;
    margin: number;
    purchases: number;
    refunds: number;
    averageOrderValue: number | null;
  };
  spendByDay: DaySpend[];
  firstPurchaseAt: Date | null;
  lastPurchaseAt: Date | null;
  lastPurchase: { orderId: string; amount: number; currency: string; at: Date } | null;
  satisfaction: {
    scores: number;
    scoreSum: number;
    meanScore: number | null;
    npsAnswers: number;
    npsSum: number;
    meanNps: number | null;
    lastFeedbackAt: Date | null;
  };
  complaints: {
    opened: number;
    resolved: number;
    escalated: number;
    reopened: number;
    open: string[];
  };
  consents: Record<string, { status: 'granted' | 'withdrawn'; at: Date; source: string }>;
  lifecycle: DimensionPosition | null;
  tier: (DimensionPosition & { qualifyingAmount: number }) | null;
  quadrant: (DimensionPosition & { scores: Record<string, number> }) | null;
  account: (DimensionPosition & { scores: Record<string, number> }) | null;
  mergedInto: string | null;
  erasedAt: Date | null;
  /** The earliest moment a time-driven transition may fall due: what a review must visit. */
  nextReviewAt: Date | null;
}
