import type { CommandBus, QueryBus } from '@nestjs/cqrs';

/**
 * A command or query bus that records what a controller dispatched and answers as the test says the handler
 * would: with a value, or by rejecting with an error.
 */
export class FakeBus {
  readonly executed: unknown[] = [];
  answer: (message: unknown) => unknown = () => undefined;

  execute(message: unknown): Promise<unknown> {
    this.executed.push(message);
    // An answer that throws becomes a rejection, as a failing handler's would.
    return new Promise((resolve) => resolve(this.answer(message)));
  }

  /** The one message dispatched, checked to be of the class the test expects. */
  only<T>(type: abstract new (...args: never[]) => T): T {
    if (this.executed.length !== 1) {
      throw new Error(`expected one dispatch, got ${this.executed.length}`);
    }
    const [message] = this.executed;
    if (!(message instanceof type)) {
      throw new Error(`expected a ${type.name}, got ${describe(message)}`);
    }
    return message;
  }

  asQueryBus(): QueryBus {
    return this as unknown as QueryBus;
  }

  asCommandBus(): CommandBus {
    return this as unknown as CommandBus;
  }
}

function describe(value: unknown): string {
  return typeof value === 'object' && value !== null ? value.constructor.name : typeof value;
}
