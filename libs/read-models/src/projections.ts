import type { Projection } from './projection/projection';

/** Every read model the projector runs, in the order their batches are written. */
export function customerProjections(): Projection[] {
  return [];
}
