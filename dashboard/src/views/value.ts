import { ANALYST, get } from '../api';
import { chart } from '../charts';
import { customerLink, empty, h, load, replace, section, table } from '../dom';
import { formatCount, formatNumber, formatShare, label } from '../format';
import type { RfmReport, SegmentReport } from '../types';

/** The value matrix's four quadrants with counts and value share, and the RFM segments and grid. */
export function valueView(root: HTMLElement): void {
  const quadrants = h('div', { id: 'value-quadrants' });
  const rfm = h('div', { id: 'value-rfm' });
  replace(root, section('Value matrix', quadrants), section('RFM segments', rfm));
  void load(
    quadrants,
    'the value matrix',
    () => get<SegmentReport>('/v1/analytics/value-matrix', { limit: 5 }, ANALYST),
    renderQuadrants,
  );
  void load(
    rfm,
    'the RFM segments',
    () => get<RfmReport>('/v1/analytics/rfm', {}, ANALYST),
    renderRfm,
  );
}

function renderQuadrants(report: SegmentReport): Array<HTMLElement> {
  if (report.customers === 0) return [empty('No customer has a value quadrant yet.')];
  const byLevel = new Map(report.segments.map((s) => [s.level, s]));
  // Long-term value high on top, current value high on the left, as the matrix is usually drawn.
  const order = ['iron', 'platinum', 'lead', 'gold'];
  const grid = h(
    'div',
    { class: 'quadrants', id: 'quadrant-grid' },
    ...order.map((level) => {
      const s = byLevel.get(level);
      return h(
        'article',
        { class: `quadrant q-${level}`, 'data-quadrant': level },
        h('h3', {}, label(level)),
        h('p', { class: 'big', 'data-field': 'customers' }, formatCount(s?.customers ?? 0)),
        h(
          'p',
          {},
          'customers, ',
          h('span', { 'data-field': 'customerShare' }, formatShare(s?.customerShare ?? 0)),
        ),
        h(
          'p',
          {},
          'value share ',
          h('strong', { 'data-field': 'valueShare' }, formatShare(s?.valueShare ?? 0)),
        ),
        h(
          'p',
          { class: 'note' },
          'value ',
          h('span', { 'data-field': 'value' }, formatNumber(s?.value ?? 0)),
        ),
      );
    }),
  );
  const bars = chart(
    'value share by quadrant',
    {
      grid: { left: 70, right: 16, top: 30, bottom: 30 },
      legend: { top: 0 },
      xAxis: { type: 'value', max: 1, axisLabel: { formatter: (v: number) => formatShare(v) } },
      yAxis: { type: 'category', data: report.segments.map((s) => label(s.level)) },
      series: [
        { name: 'customers', type: 'bar', data: report.segments.map((s) => s.customerShare) },
        { name: 'value', type: 'bar', data: report.segments.map((s) => s.valueShare) },
      ],
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatShare(v) },
    },
    260,
  );
  const top = table(
    'Highest value customers per quadrant',
    ['quadrant', 'customer', 'value'],
    report.segments.flatMap((s) =>
      s.top.map((c) => [label(s.level), customerLink(c.customerId), formatNumber(c.value)]),
    ),
  );
  return [
    h(
      'p',
      { class: 'note' },
      `${formatCount(report.customers)} customers, value ${formatNumber(report.value)}.`,
    ),
    grid,
    bars.box,
    top,
  ];
}

function renderRfm(report: RfmReport): Array<HTMLElement> {
  const segments = Object.entries(report.segments);
  if (report.boundaries.customers === 0) return [empty('No customer bought in the RFM window.')];
  const bars = chart(
    'customers per RFM segment',
    {
      grid: { left: 110, right: 16, top: 10, bottom: 30 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: segments.map(([name]) => label(name)), inverse: true },
      series: [
        {
          type: 'bar',
          data: segments.map(([, s]) => s.customers),
          label: { show: true, position: 'right' },
        },
      ],
    },
    280,
  );
  const scores = ['1', '2', '3', '4', '5'];
  const cells = scores.flatMap((r, y) => scores.map((f, x) => [x, y, report.grid[r]?.[f] ?? 0]));
  const grid = chart(
    'recency by frequency grid',
    {
      grid: { left: 80, right: 16, top: 30, bottom: 50 },
      xAxis: { type: 'category', data: scores, name: 'frequency' },
      yAxis: { type: 'category', data: scores, name: 'recency' },
      visualMap: {
        min: 0,
        max: Math.max(1, ...cells.map((c) => c[2])),
        show: false,
        inRange: { color: ['#f4f7fb', '#2f855a'] },
      },
      series: [{ type: 'heatmap', data: cells, label: { show: true } }],
    },
    300,
  );
  return [
    table(
      `RFM segments (${formatCount(report.boundaries.customers)} buyers in ${formatCount(report.boundaries.windowDays)} days)`,
      ['segment', 'customers', 'share', 'value'],
      segments.map(([name, s]) => [
        label(name),
        h('span', { 'data-rfm': name }, formatCount(s.customers)),
        formatShare(s.share),
        formatNumber(s.value),
      ]),
      { id: 'rfm-table' },
    ),
    bars.box,
    grid.box,
  ];
}
