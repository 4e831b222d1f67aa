import type { PositionedDocument } from '../projection/document-fold';

export const INTERACTIONS_COLLECTION = 'interaction_facts';
export const COMPLAINTS_COLLECTION = 'complaint_facts';

/** One touchpoint, with the dimensions analysts group by. Non-personal: no notes, no free text. */
export interface InteractionFact extends PositionedDocument {
  customerId: string;
  kind: string;
  channel: string;
  direction: string;
  department: string | null;
  agentId: string | null;
  product: string | null;
  region: string | null;
  occurredAt: Date;
  /** ISO week of `occurredAt`, e.g. `2026-W09`. */
  week: string;
  amount: number | null;
}

/** One complaint from opening to its latest resolution. */
export interface ComplaintFact extends PositionedDocument {
  customerId: string;
  complaintId: string;
  category: string;
  severity: string;
  channel: string;
  department: string | null;
  agentId: string | null;
  product: string | null;
  region: string | null;
  openedAt: Date;
  week: string;
  status: 'open' | 'escalated' | 'resolved';
  escalations: number;
  reopenings: number;
  resolutions: number;
  /** When it was last resolved; null while open. */
  resolvedAt: Date | null;
  /** Hours from opening to the first resolution. */
  hoursToResolve: number | null;
  satisfied: boolean | null;
}
