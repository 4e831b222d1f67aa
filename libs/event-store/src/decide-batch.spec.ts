import { decideBatch } from './decide-batch';

// A counter that refuses to go above a limit: enough to show order, state threading and refusals.
type Command = { type: 'Add'; by: number; id?: string } | { type: 'Reset' };
type Event = { type: 'Added'; by: number } | { type: 'Reset' };
const decider = {
  decide(command: Command, total: number): Event[] {
    if (command.type === 'Reset') return total === 0 ? [] : [{ type: 'Reset' }];
    if (total + command.by > 10) throw Object.assign(new Error('over 10'), { code: 'OVER' });
    return [
      { type: 'Added', by: command.by },
      { type: 'Added', by: 0 },
    ];
  },
  evolve: (total: number, event: Event) => (event.type === 'Reset' ? 0 : total + event.by),
};
const add = (by: number, id?: string) => ({
  command: { type: 'Add' as const, by },
  eventId: id === undefined ? undefined : (_event: Event, index: number) => `${id}/${index}`,
});
let counter = 0;
const sequentialIds = () => `random-${(counter += 1)}`;

describe(decideBatch.name, () => {
  beforeEach(() => {
    counter = 0;
  });

  it('decides each command against the state the accepted ones before it left', () => {
    const sut = decideBatch(decider, { state: 0, revision: -1 }, [add(4), add(4), add(4)]);
    expect(sut.outcomes.map((outcome) => outcome.ok)).toEqual([true, true, false]);
    expect(sut.state).toBe(8);
  });

  it('stores nothing of a refused command and keeps deciding the ones after it', () => {
    const sut = decideBatch(decider, { state: 7, revision: 3 }, [add(5), add(2)], sequentialIds);
    expect(sut.outcomes[0]).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'OVER' }),
    });
    expect(sut.pending.map(({ event }) => event)).toEqual([
      { type: 'Added', by: 2 },
      { type: 'Added', by: 0 },
    ]);
    expect(sut.state).toBe(9);
  });

  it('numbers the accepted events from the revision after the start, across commands', () => {
    const sut = decideBatch(decider, { state: 0, revision: 5 }, [add(1), add(20), add(1)]);
    const revisions = sut.outcomes.map((outcome) =>
      outcome.ok ? outcome.events.map(({ revision }) => revision) : 'refused',
    );
    expect(revisions).toEqual([[6, 7], 'refused', [8, 9]]);
  });

  it('uses the ids a request chooses and marks them chosen; makes up the others', () => {
    const sut = decideBatch(
      decider,
      { state: 0, revision: -1 },
      [add(1, 'tp-1'), add(1)],
      sequentialIds,
    );
    expect(sut.pending.map(({ eventId, chosen }) => [eventId, chosen])).toEqual([
      ['tp-1/0', true],
      ['tp-1/1', true],
      ['random-1', false],
      ['random-2', false],
    ]);
  });

  it('hands each pending event the request it came from', () => {
    const first = add(1);
    const second = add(2);
    const sut = decideBatch(decider, { state: 0, revision: -1 }, [first, second]);
    expect(sut.pending.map(({ request }) => request)).toEqual([first, first, second, second]);
  });

  it('answers "nothing to do" as an accepted command without events', () => {
    const sut = decideBatch(decider, { state: 0, revision: 2 }, [{ command: { type: 'Reset' } }]);
    expect(sut.outcomes).toEqual([{ ok: true, events: [] }]);
    expect(sut.pending).toEqual([]);
    expect(sut.state).toBe(0);
  });
});
