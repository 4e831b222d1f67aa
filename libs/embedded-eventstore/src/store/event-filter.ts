// Server-side $all filter: on stream name or event type, by prefixes or by regular expression.
// Results are cached per interned name, so scanning $all costs one array lookup per event.
export interface FilterSpec {
  on: 'stream' | 'type';
  prefixes?: string[];
  regex?: string;
}

export class EventFilter {
  private readonly cache = new Map<number, boolean>();
  private readonly test: (value: string) => boolean;

  constructor(readonly spec: FilterSpec) {
    const { prefixes, regex } = spec;
    if (regex !== undefined && regex !== '') {
      let compiled: RegExp;
      try {
        compiled = new RegExp(regex);
      } catch (error) {
        throw new InvalidFilterError(
          `invalid filter regex ${JSON.stringify(regex)}: ${(error as Error).message}`,
        );
      }
      this.test = (value) => compiled.test(value);
    } else if (prefixes && prefixes.length > 0) {
      this.test = (value) => prefixes.some((prefix) => value.startsWith(prefix));
    } else {
      throw new InvalidFilterError('a filter needs a regex or at least one prefix');
    }
  }

  matches(
    streamNo: number,
    typeNo: number,
    names: (kind: 'stream' | 'type', no: number) => string,
  ): boolean {
    const key = this.spec.on === 'stream' ? streamNo : typeNo;
    let result = this.cache.get(key);
    if (result === undefined) {
      result = this.test(names(this.spec.on, key));
      this.cache.set(key, result);
    }
    return result;
  }
}

export class InvalidFilterError extends Error {}
