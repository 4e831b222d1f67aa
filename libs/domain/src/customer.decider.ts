import { type CustomerCommand } from './customer.commands';
import { type CustomerEvent } from './customer.events';
import { decide } from './customer.decide';
import { evolve } from './customer.evolve';
import { type CustomerState, initialState } from './customer.state';

/** A decider as a value, for generic load–decide–append code and given/when/then specifications. */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState: State;
}

export const customerDecider: Decider<CustomerCommand, CustomerEvent, CustomerState> = {
  decide,
  evolve,
  initialState,
};
