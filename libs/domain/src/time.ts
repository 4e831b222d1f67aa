// ISO strings with different offsets or precision do not sort as text, so compare instants.

export function isTimestamp(value: string): boolean {
  return !Number.isNaN(Date.parse(value));
}

export function laterOf(a: string, b: string): string {
  return Date.parse(b) > Date.parse(a) ? b : a;
}

export function earlierOf(a: string, b: string): string {
  return Date.parse(b) < Date.parse(a) ? b : a;
}
