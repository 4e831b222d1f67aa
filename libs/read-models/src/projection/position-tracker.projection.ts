import { POSITION_TRACKER } from '../checkpoint.store';
import type { Projection } from './projection';

/**
 * Writes nothing: its checkpoint is how far the projector has read the customer streams, whatever read models
 * run (health readiness compares it with the head of `$all`).
 */
export function positionTrackerProjection(): Projection {
  return {
    name: POSITION_TRACKER,
    collections: [],
    setup: () => Promise.resolve(),
    apply: () => Promise.resolve(),
  };
}
