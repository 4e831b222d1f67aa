import type { CustomerEvent } from '@app/domain';
import type { Collection, Db } from 'mongodb';
import { asCustomerEvent, customerIdOf, instant } from '../projection/customer-event';
import { writeGuarded } from '../projection/document-fold';
import { type ProjectedEvent, type Projection, storedPosition } from '../projection/projection';
import {
  type Dimension,
  DIMENSIONS,
  OPEN_END,
  TRANSITIONS_COLLECTION,
  type TransitionDocument,
} from './transition.document';

export function transitionsProjection(): Projection {
  return {
    name: 'transitions',
    collections: [TRANSITIONS_COLLECTION],
    async setup(db: Db) {
      await db
        .collection(TRANSITIONS_COLLECTION)
        .createIndexes([
          { key: { dimension: 1, from: 1, to: 1 } },
          { key: { customerId: 1, to: 1 } },
        ]);
    },
    async apply(db: Db, events: readonly ProjectedEvent[]) {
      await applyTransitions(db.collection<TransitionDocument>(TRANSITIONS_COLLECTION), events);
    },
  };
}

/** A level change the events say happened: which dimension, to what, from when. */
interface Change {
  dimension: Dimension;
  level: string | null;
  at: Date;
  reason: string;
  ruleVersion: string | null;
}

/** What one event does to the intervals: level changes, and a region that later intervals carry. */
export function changesOf(event: CustomerEvent): { changes: Change[]; region?: string } {
  switch (event.type) {
    case 'CustomerRegistered': {
      const at = instant(event.data.registeredAt);
      const stage = {
        dimension: 'stage' as const,
        level: 'prospect',
        at,
        reason: 'registered',
        ruleVersion: null,
      };
      return { changes: [stage], region: event.data.region };
    }
    case 'CustomerProfileChanged':
      return { changes: [], region: event.data.changes.region };
    case 'MembershipEnrolled': {
      const at = instant(event.data.enrolledAt);
      return {
        changes: [
          { dimension: 'tier', level: event.data.tier, at, reason: 'enrolled', ruleVersion: null },
        ],
      };
    }
    case 'TierChanged': {
      const { to, effectiveAt, reason, ruleVersion } = event.data;
      return {
        changes: [{ dimension: 'tier', level: to, at: instant(effectiveAt), reason, ruleVersion }],
      };
    }
    case 'LifecycleStageChanged': {
      const { to, effectiveAt, reason } = event.data;
      const ruleVersion = (event.data as { ruleVersion?: string }).ruleVersion ?? null;
      return {
        changes: [{ dimension: 'stage', level: to, at: instant(effectiveAt), reason, ruleVersion }],
      };
    }
    case 'SegmentChanged': {
      const { dimension, to, effectiveAt, reason, ruleVersion } = event.data;
      return { changes: [{ dimension, level: to, at: instant(effectiveAt), reason, ruleVersion }] };
    }
    case 'CustomerMerged':
    case 'CustomerErased': {
      const at = instant(
        event.type === 'CustomerMerged' ? event.data.mergedAt : event.data.erasedAt,
      );
      const reason = event.type === 'CustomerMerged' ? 'merged' : 'erased';
      return {
        changes: DIMENSIONS.map((dimension) => ({
          dimension,
          level: null,
          at,
          reason,
          ruleVersion: null,
        })),
      };
    }
    default:
      return { changes: [] };
  }
}

/**
 * Loads the open intervals of the batch's customers in one query, closes and opens intervals in memory in `$all`
 * order, and writes the changed ones guarded by position. Only events that changed nothing yet are applied, so a
 * batch applied twice writes nothing new; an interval already closed by a later event is never reopened.
 */
async function applyTransitions(
  collection: Collection<TransitionDocument>,
  events: readonly ProjectedEvent[],
): Promise<void> {
  const relevant: Array<{ customerId: string; event: CustomerEvent; position: number }> = [];
  for (const projected of events) {
    const customerId = customerIdOf(projected);
    const event = asCustomerEvent(projected);
    if (customerId !== null && event)
      relevant.push({ customerId, event, position: storedPosition(projected.position) });
  }
  if (relevant.length === 0) return;
  const customers = [...new Set(relevant.map((r) => r.customerId))];
  const open = new Map<string, TransitionDocument>();
  const region = new Map<string, string | null>();
  const newest = new Map<string, number>();
  for (const doc of await collection
    .find({ customerId: { $in: customers }, to: OPEN_END })
    .toArray()) {
    open.set(`${doc.customerId}|${doc.dimension}`, doc);
    region.set(doc.customerId, doc.region);
    newest.set(doc.customerId, Math.max(newest.get(doc.customerId) ?? -1, doc.position));
  }
  const changed = new Map<string, TransitionDocument>();
  for (const { customerId, event, position } of relevant) {
    // Applied before, as far as the open intervals can tell: the guarded write settles the rest.
    if ((newest.get(customerId) ?? -1) >= position) continue;
    const effect = changesOf(event);
    if (effect.region !== undefined) {
      region.set(customerId, effect.region);
      for (const dimension of DIMENSIONS) {
        const current = open.get(`${customerId}|${dimension}`);
        if (current && current.region !== effect.region) {
          const updated = { ...current, region: effect.region, position };
          open.set(`${customerId}|${dimension}`, updated);
          changed.set(updated._id, updated);
        }
      }
    }
    for (const change of effect.changes) {
      const key = `${customerId}|${change.dimension}`;
      const current = open.get(key);
      if (current?.level === change.level) continue;
      if (!current && change.level === null) continue;
      // Effective moments of one dimension never go back; a late one starts where the current interval starts.
      const from = current && change.at < current.from ? current.from : change.at;
      if (current) {
        const closed = { ...current, to: from, position };
        changed.set(closed._id, closed);
        open.delete(key);
      }
      if (change.level === null) continue;
      const opened: TransitionDocument = {
        _id: `${change.dimension}|${customerId}|${position}`,
        position,
        customerId,
        dimension: change.dimension,
        level: change.level,
        from,
        to: OPEN_END,
        reason: change.reason,
        ruleVersion: change.ruleVersion,
        region: region.get(customerId) ?? null,
      };
      open.set(key, opened);
      changed.set(opened._id, opened);
    }
  }
  await writeGuarded(
    collection,
    [...changed.values()].map((doc) => [doc._id, doc] as const),
  );
}
