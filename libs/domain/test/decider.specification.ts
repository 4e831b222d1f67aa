import { type Decider, type DomainErrorCode, DomainError } from '@app/domain';

/**
 * given(events).when(command).then(events) / .thenThrows(code): the rule under test reads as one
 * sentence, and the state is always built by folding events, as it is when loaded from the store.
 */
export function specification<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return {
    given(...history: Event[]) {
      const state = history.reduce((s, event) => decider.evolve(s, event), decider.initialState);
      return {
        when(command: Command) {
          const decided = () => decider.decide(command, state);
          return {
            /** The events decided, to build further history from a real decision. */
            decided(): Event[] {
              return decided();
            },
            then(...expected: Event[]): void {
              expect(decided()).toStrictEqual(expected);
            },
            thenThrows(code: DomainErrorCode): DomainError {
              let thrown: unknown;
              try {
                decided();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(DomainError);
              expect((thrown as DomainError).code).toBe(code);
              return thrown as DomainError;
            },
          };
        },
      };
    },
  };
}
