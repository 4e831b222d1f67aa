/** ISO weeks as the API names them (`2026-W05`), for time axes by week. */

const WEEK = 7 * 86_400_000;

/** Monday 00:00 UTC of an ISO week such as `2026-W05` (week 1 holds 4 January). */
export function weekStart(week: string): number {
  const [year, number] = week.split('-W').map(Number);
  const jan4 = Date.UTC(year, 0, 4);
  return jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86_400_000 + (number - 1) * WEEK;
}

/** The ISO week (`2026-W05`) of the Monday at `monday`. */
export function isoWeek(monday: number): string {
  const thursday = monday + 3 * 86_400_000;
  const year = new Date(thursday).getUTCFullYear();
  const number = 1 + Math.floor((thursday - weekStart(`${year}-W01`)) / WEEK);
  return `${year}-W${String(number).padStart(2, '0')}`;
}

/** Every week from the first to the last named, so weeks without touchpoints show as gaps in time. */
export function everyWeek(named: string[]): string[] {
  if (named.length === 0) return [];
  const starts = named.map(weekStart);
  const weeks: string[] = [];
  for (let t = Math.min(...starts); t <= Math.max(...starts); t += WEEK) weeks.push(isoWeek(t));
  return weeks;
}
