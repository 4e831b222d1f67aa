import { ConcurrencyConflictError } from './errors';

/**
 * How often one execution may find its append refused because another writer got there first, and how long to
 * pause before the next try. Touchpoints do not depend on each other, so a conflict is worth retrying; a stream
 * that keeps being written elsewhere ends in ConcurrencyConflictError instead of a loop.
 */
export class ConflictBudget {
  private spent = 0;

  constructor(
    private readonly streamId: string,
    /** Refusals tolerated; the next one throws. 0: the first refusal throws. */
    private readonly retries: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Counts one refusal; throws once more than `retries` were counted. Returns the pause before retrying (ms). */
  spend(): number {
    this.spent += 1;
    if (this.spent > this.retries) throw new ConcurrencyConflictError(this.streamId, this.spent);
    // Writers that keep colliding in lockstep would collide again: a random pause, growing to 32 ms, breaks the tie.
    return this.random() * Math.min(2 ** this.spent, 32);
  }
}
