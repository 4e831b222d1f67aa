import { ANALYST, get } from '../api';
import { chart } from '../charts';
import { customerLink, empty, field, h, load, periodInputs, replace, section, table } from '../dom';
import { formatCount, formatDay, formatShare, label } from '../format';
import type { LifecycleReport } from '../types';

const DAY = 86_400_000;
const STAGES = ['prospect', 'new', 'active', 'at_risk', 'churned'];
/** Moments of the stage distribution chart: every 30 days over the last year. */
const POINTS = 13;

/** Stage distribution over time (stacked), flows between stages over a period, customers at risk. */
export function lifecycleView(root: HTMLElement): void {
  const now = Date.now();
  const overTime = h('div', { id: 'lifecycle-over-time' });
  const form = h(
    'form',
    { class: 'controls', id: 'flows-form' },
    ...periodInputs(90),
    h('button', { type: 'submit' }, 'Show flows'),
  );
  const flows = h('div', { id: 'lifecycle-flows' });
  const atRisk = h('div', { id: 'lifecycle-at-risk' });
  replace(
    root,
    section('Stages over time', overTime),
    section('Flows between stages', form, flows),
    section('Customers at risk', atRisk),
  );

  const moments = Array.from({ length: POINTS }, (_, i) =>
    new Date(now - (POINTS - 1 - i) * 30 * DAY).toISOString(),
  );
  void load(
    overTime,
    'the stage distribution',
    () =>
      Promise.all(
        moments.map((at) =>
          get<LifecycleReport>('/v1/analytics/lifecycle', { at, limit: 0 }, ANALYST),
        ),
      ),
    (reports) => {
      const latest = reports[reports.length - 1];
      const stacked = chart('stage distribution over time', {
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 40, bottom: 30 },
        xAxis: { type: 'category', boundaryGap: false, data: reports.map((r) => formatDay(r.at)) },
        yAxis: { type: 'value', axisLabel: { formatter: (v: number) => formatCount(v) } },
        series: STAGES.map((stage) => ({
          name: label(stage),
          type: 'line',
          stack: 'stages',
          areaStyle: {},
          emphasis: { focus: 'series' },
          data: reports.map((r) => r.distribution[stage] ?? 0),
        })),
      });
      const total = STAGES.reduce((n, s) => n + (latest.distribution[s] ?? 0), 0);
      return [
        stacked.box,
        table(
          `Stages now (${formatDay(latest.at)})`,
          ['stage', 'customers', 'share'],
          STAGES.map((stage) => [
            label(stage),
            h('span', { 'data-stage': stage }, formatCount(latest.distribution[stage] ?? 0)),
            formatShare(total === 0 ? 0 : (latest.distribution[stage] ?? 0) / total),
          ]),
          { id: 'stages-now' },
        ),
      ];
    },
  );

  const showFlows = () => {
    const query = { from: field(form, 'from'), to: field(form, 'to'), limit: 50 };
    void load(
      flows,
      'the flows',
      () => get<LifecycleReport>('/v1/analytics/lifecycle', query, ANALYST),
      (report) => {
        replace(atRisk);
        renderAtRisk(atRisk, report);
        return renderFlows(report);
      },
    );
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    showFlows();
  });
  showFlows();
}

function renderFlows(report: LifecycleReport): Array<HTMLElement | null> {
  const { period } = report;
  const links = Object.entries(period.flows).flatMap(([from, row]) =>
    Object.entries(row)
      .filter(([, n]) => n > 0)
      .map(([to, n]) => ({
        source: `${label(from)} (from)`,
        target: `${label(to)} (to)`,
        value: n,
        from,
        to,
      })),
  );
  const figures = h(
    'dl',
    { class: 'figures', id: 'flow-figures' },
    h('dt', {}, 'customers at the start'),
    h('dd', { 'data-figure': 'customers' }, formatCount(period.customers)),
    h('dt', {}, 'churned'),
    h('dd', { 'data-figure': 'churned' }, formatCount(period.churned)),
    h('dt', {}, 'retained'),
    h('dd', { 'data-figure': 'retained' }, formatCount(period.retained)),
    h('dt', {}, 'churn rate'),
    h('dd', { 'data-figure': 'churnRate' }, formatShare(period.churnRate)),
    h('dt', {}, 'retention rate'),
    h('dd', { 'data-figure': 'retentionRate' }, formatShare(period.retentionRate)),
  );
  if (links.length === 0) return [figures, empty('No customer held a stage in this period.')];
  const nodes = [...new Set(links.flatMap((l) => [l.source, l.target]))].map((name) => ({ name }));
  const sankey = chart(
    'flows between stages',
    {
      series: [
        {
          type: 'sankey',
          data: nodes,
          links: links.map(({ source, target, value }) => ({ source, target, value })),
          emphasis: { focus: 'adjacency' },
          label: {
            formatter: (p: { name: string; value: number }) => `${p.name}: ${formatCount(p.value)}`,
          },
          left: 8,
          right: 120,
        },
      ],
    },
    380,
  );
  return [
    figures,
    sankey.box,
    table(
      `From ${formatDay(period.from)} to ${formatDay(period.to)}`,
      ['stage at the start', 'stage at the end', 'customers'],
      links.map((l) => [
        label(l.from),
        label(l.to),
        h('span', { 'data-flow': `${l.from}>${l.to}` }, formatCount(l.value)),
      ]),
      { id: 'flows-table' },
    ),
  ];
}

function renderAtRisk(slot: HTMLElement, report: LifecycleReport): void {
  const { atRisk } = report;
  replace(
    slot,
    h(
      'p',
      { class: 'note' },
      h('strong', { id: 'at-risk-count' }, formatCount(atRisk.customers)),
      ' customers are at risk now.',
    ),
    atRisk.sample.length === 0
      ? empty('No customer is at risk.')
      : h(
          'ul',
          { class: 'ids', id: 'at-risk-list' },
          ...atRisk.sample.map((id) => h('li', {}, customerLink(id))),
        ),
  );
}
