/** Numbers, shares and moments in the reader's locale. */

const locale = navigator.language || 'en';
const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
const date = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });

export const formatCount = (n: number): string => integer.format(n);
export const formatNumber = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : decimal.format(n);
export const formatShare = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : percent.format(n);
export const formatMoment = (iso: string | null | undefined): string =>
  iso ? dateTime.format(new Date(iso)) : '–';
export const formatDay = (iso: string | null | undefined): string =>
  iso ? date.format(new Date(iso)) : '–';

/** `yyyy-mm-dd` of a moment, for date inputs. */
export function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** A level name as people read it: `at_risk` → `at risk`. */
export const label = (level: string): string => level.replace(/_/g, ' ');
