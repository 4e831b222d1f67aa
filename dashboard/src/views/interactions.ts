import { ANALYST, get } from '../api';
import { chart } from '../charts';
import { customerLink, empty, field, h, load, periodInputs, replace, section, table } from '../dom';
import { formatCount, formatNumber, formatShare, label } from '../format';
import { everyWeek } from '../weeks';
import type { ComplaintRow, InteractionRow, SatisfactionGroup, SatisfactionReport } from '../types';

const COMPLAINT_GROUPS = ['category', 'region', 'agent'] as const;

/** Touchpoints per channel and direction over time, complaints by category, region and agent, satisfaction. */
export function interactionsView(root: HTMLElement): void {
  const form = h(
    'form',
    { class: 'controls', id: 'interactions-form' },
    ...periodInputs(366, 1),
    h('button', { type: 'submit' }, 'Show'),
  );
  const touchpoints = h('div', { id: 'interactions-touchpoints' });
  const complaints = h('div', { id: 'interactions-complaints' });
  const satisfaction = h('div', { id: 'interactions-satisfaction' });
  replace(
    root,
    section('Touchpoints per channel and direction', form, touchpoints),
    section('Complaints', complaints),
    section('Satisfaction: top and bottom 20 %', satisfaction),
  );
  const show = () => {
    const period = { from: field(form, 'from'), to: field(form, 'to') };
    void load(
      touchpoints,
      'the touchpoints',
      () =>
        Promise.all([
          get<InteractionRow[]>(
            '/v1/analytics/interactions',
            { ...period, groupBy: 'channel,direction,week' },
            ANALYST,
          ),
          get<InteractionRow[]>(
            '/v1/analytics/interactions',
            { ...period, groupBy: 'channel,direction' },
            ANALYST,
          ),
        ]),
      ([weekly, totals]) => renderTouchpoints(weekly, totals),
    );
    void load(
      complaints,
      'the complaints',
      () =>
        Promise.all(
          COMPLAINT_GROUPS.map((groupBy) =>
            get<ComplaintRow[]>('/v1/analytics/complaints', { ...period, groupBy }, ANALYST),
          ),
        ),
      (groups) => renderComplaints(groups),
    );
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  show();
  void load(
    satisfaction,
    'the satisfaction report',
    () => get<SatisfactionReport>('/v1/analytics/satisfaction', { limit: 10 }, ANALYST),
    renderSatisfaction,
  );
}

const series = (row: InteractionRow) => `${row.group.channel ?? '–'} ${row.group.direction ?? '–'}`;

function renderTouchpoints(weekly: InteractionRow[], totals: InteractionRow[]): Array<HTMLElement> {
  if (totals.length === 0) return [empty('No touchpoint in this period.')];
  const weeks = everyWeek(weekly.map((r) => r.group.week).filter((w): w is string => !!w));
  const names = [...new Set(weekly.map(series))].sort();
  const count = new Map(weekly.map((r) => [`${series(r)}|${r.group.week ?? '–'}`, r.touchpoints]));
  const bars = chart(
    'touchpoints per week by channel and direction',
    {
      legend: { top: 0, type: 'scroll' },
      grid: { left: 48, right: 16, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: weeks },
      yAxis: { type: 'value' },
      tooltip: { trigger: 'axis' },
      series: names.map((name) => ({
        name,
        type: 'bar',
        stack: 'touchpoints',
        data: weeks.map((week) => count.get(`${name}|${week}`) ?? 0),
      })),
    },
    360,
  );
  return [
    bars.box,
    table(
      'Per channel and direction in the period',
      ['channel', 'direction', 'touchpoints', 'customers'],
      totals.map((r) => [
        r.group.channel ?? '–',
        r.group.direction ?? '–',
        h('span', { 'data-touchpoints': series(r) }, formatCount(r.touchpoints)),
        formatCount(r.customers),
      ]),
      { id: 'channel-table' },
    ),
  ];
}

function renderComplaints(groups: ComplaintRow[][]): Array<HTMLElement> {
  if (groups[0].length === 0) return [empty('No complaint in this period.')];
  const [byCategory] = groups;
  const bars = chart(
    'complaints by category',
    {
      legend: { top: 0 },
      grid: { left: 90, right: 16, top: 30, bottom: 30 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: byCategory.map((r) => label(r.group.category ?? '–')) },
      series: [
        { name: 'complaints', type: 'bar', data: byCategory.map((r) => r.complaints) },
        { name: 'resolved', type: 'bar', data: byCategory.map((r) => r.resolved) },
      ],
    },
    260,
  );
  const tables = COMPLAINT_GROUPS.map((groupBy, i) =>
    table(
      `Complaints by ${groupBy}`,
      [
        groupBy,
        'complaints',
        'resolved',
        'hours to resolve (mean)',
        'satisfied after',
        'escalated',
        'first contact',
      ],
      groups[i].map((r) => {
        const name = r.group[groupBy] ?? '–';
        return [
          name,
          h('span', { 'data-complaints': name }, formatCount(r.complaints)),
          h('span', { 'data-resolved-share': name }, formatShare(r.resolvedShare)),
          h('span', { 'data-hours': name }, formatNumber(r.meanHoursToResolve)),
          formatShare(r.satisfiedShare),
          formatShare(r.escalationRate),
          formatShare(r.firstContactResolution),
        ];
      }),
      { id: `complaints-by-${groupBy}` },
    ),
  );
  return [bars.box, ...tables];
}

function renderSatisfaction(report: SatisfactionReport): Array<HTMLElement> {
  if (report.rated === 0) return [empty('No customer has given a score yet.')];
  const card = (title: string, id: string, g: SatisfactionGroup) =>
    h(
      'article',
      { class: 'card', id },
      h('h3', {}, title),
      h(
        'p',
        {},
        h('span', { class: 'big', 'data-field': 'customers' }, formatCount(g.customers)),
        ' customers',
      ),
      h(
        'p',
        {},
        'mean score ',
        h('strong', { 'data-field': 'meanScore' }, formatNumber(g.meanScore)),
      ),
      h(
        'p',
        {},
        'mean spend in window ',
        h('span', { 'data-field': 'meanSpend' }, formatNumber(g.meanSpendInWindow)),
      ),
      h(
        'p',
        {},
        'complaints per customer ',
        formatNumber(g.meanComplaints),
        ', open ',
        formatCount(g.openComplaints),
      ),
      h('p', { class: 'note' }, 'tiers: ', spread(g.tiers), ' · stages: ', spread(g.stages)),
      h(
        'ul',
        { class: 'ids' },
        ...g.sample.map((s) =>
          h('li', {}, customerLink(s.customerId), ` ${formatNumber(s.meanScore)}`),
        ),
      ),
    );
  return [
    h('p', { class: 'note' }, `${formatCount(report.rated)} customers have given a score.`),
    h(
      'div',
      { class: 'cards' },
      card('Top 20 %', 'satisfaction-top', report.top),
      card('Bottom 20 %', 'satisfaction-bottom', report.bottom),
    ),
  ];
}

const spread = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([name, n]) => `${label(name)} ${formatCount(n)}`)
    .join(', ') || '–';
