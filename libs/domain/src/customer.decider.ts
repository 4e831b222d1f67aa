import { type CustomerCommand } from './customer.commands';
import { type CustomerEvent } from './customer.events';
import { decide } from './customer.decide';
import { evolve } from './customer.evolve';
import { type CustomerState, initialState } from './customer.state';
import { DEFAULT_POLICY_RULES, type PolicyRules } from './policy-rules';

/** A decider as a value, for generic load–decide–append code and given/when/then specifications. */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState: State;
}

export type CustomerDecider = Decider<CustomerCommand, CustomerEvent, CustomerState>;

/** The customer decider applying these lifecycle, tier and segment rules (from the configuration). */
export function createCustomerDecider(rules: PolicyRules): CustomerDecider {
  return {
    decide: (command, state) => decide(command, state, rules),
    evolve,
    initialState,
  };
}

/** The customer decider with API.md's default rules. */
export const customerDecider: CustomerDecider = createCustomerDecider(DEFAULT_POLICY_RULES);
