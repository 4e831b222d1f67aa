import { factsProjection } from './analytics/facts.projection';
import { profilesProjection, type ReviewThresholds } from './profiles/profile.projection';
import type { Projection } from './projection/projection';
import { timelinesProjection } from './transitions/timeline.projection';
import { transitionsProjection } from './transitions/transition.projection';

/** Every read model the projector runs, in the order their batches are written. */
export function customerProjections(rules: ReviewThresholds): Projection[] {
  return [
    profilesProjection(rules),
    transitionsProjection(),
    timelinesProjection(),
    factsProjection(),
  ];
}
