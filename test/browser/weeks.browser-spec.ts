import { isoWeek as serverWeek } from '@app/read-models';
import { everyWeek, isoWeek, weekStart } from '../../dashboard/src/weeks';

const DAY = 86_400_000;

describe('dashboard weeks', () => {
  it('names every Monday of 2024 to 2028 as the read models name its week', () => {
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2029, 0, 1); t += 7 * DAY) {
      const name = serverWeek(new Date(t));
      expect(isoWeek(t)).toBe(name);
      expect(weekStart(name)).toBe(t);
    }
  });

  it('fills the weeks between the first and the last, across a 53-week year', () => {
    expect(everyWeek(['2027-W02', '2026-W52'])).toEqual([
      '2026-W52',
      '2026-W53',
      '2027-W01',
      '2027-W02',
    ]);
    expect(everyWeek([])).toEqual([]);
  });
});
