/**
 * Calls made while a round trip is in flight wait for it and go together in the next one: one round trip per
 * round, however many callers, up to `maxItems` keys a round (a call larger than that has a round of its own).
 * Within a round the first value given for a key speaks for it.
 */
export class Rounds<In, Out> {
  private next: { items: Map<string, In>; done: Promise<Map<string, Out>> } | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly trip: (items: Map<string, In>) => Promise<Map<string, Out>>,
    private readonly maxItems: number,
  ) {}

  async add(items: ReadonlyArray<[string, In]>): Promise<Map<string, Out>> {
    let round = this.next;
    if (!round || (round.items.size > 0 && round.items.size + items.length > this.maxItems)) {
      round = this.start();
    }
    for (const [key, value] of items) if (!round.items.has(key)) round.items.set(key, value);
    return round.done;
  }

  private start() {
    const round = { items: new Map<string, In>(), done: Promise.resolve(new Map<string, Out>()) };
    round.done = this.inFlight.then(() => {
      if (this.next === round) this.next = undefined;
      return this.trip(new Map(round.items));
    });
    this.inFlight = round.done.catch(() => undefined);
    this.next = round;
    return round;
  }
}
