import { ConflictBudget } from './conflict-budget';
import { ConcurrencyConflictError } from './errors';

describe(ConflictBudget.name, () => {
  it('tolerates as many refusals as it has retries and throws at the next, naming stream and count', () => {
    const sut = new ConflictBudget('customer-c1', 3);
    for (let i = 0; i < 3; i += 1) sut.spend();
    let thrown: unknown;
    try {
      sut.spend();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConcurrencyConflictError);
    expect(thrown).toMatchObject({ streamId: 'customer-c1', attempts: 4 });
  });

  it('with no retries throws at the first refusal', () => {
    const sut = new ConflictBudget('customer-c1', 0);
    expect(() => sut.spend()).toThrow(ConcurrencyConflictError);
  });

  it('pauses a random share of a window that doubles with each refusal up to 32 ms', () => {
    const sut = new ConflictBudget('customer-c1', 10, () => 1);
    const pauses = Array.from({ length: 7 }, () => sut.spend());
    expect(pauses).toEqual([2, 4, 8, 16, 32, 32, 32]);
  });

  it('draws each pause from the random source, so writers in lockstep fall apart', () => {
    const draws = [0.25, 0.5];
    const sut = new ConflictBudget('customer-c1', 10, () => draws.shift()!);
    expect([sut.spend(), sut.spend()]).toEqual([0.5, 2]);
  });
});
