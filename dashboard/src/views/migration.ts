import { ANALYST, get } from '../api';
import { chart } from '../charts';
import { customerLink, empty, field, h, load, periodInputs, replace, section, table } from '../dom';
import { formatCount, formatShare, label } from '../format';
import type { CustomerRow, MigrationCustomers, MigrationMatrix } from '../types';

const DIMENSIONS = ['tier', 'stage', 'quadrant', 'account'] as const;

/** Tier, stage, quadrant or key-account migration between two dates: heat map, table, and the customers of a cell. */
export function migrationView(root: HTMLElement): void {
  const form = h(
    'form',
    { class: 'controls', id: 'migration-form' },
    h(
      'label',
      {},
      'Dimension ',
      h('select', { name: 'dimension' }, ...DIMENSIONS.map((d) => h('option', { value: d }, d))),
    ),
    ...periodInputs(180),
    h(
      'label',
      {},
      'Region ',
      h('input', { type: 'text', name: 'region', placeholder: 'all', maxlength: 100 }),
    ),
    h('button', { type: 'submit' }, 'Show'),
  );
  const result = h('div', { id: 'migration-result' });
  const customers = h('div', { id: 'migration-customers' });
  replace(root, section('Migration between two dates', form, result), customers);

  const show = () => {
    const query = {
      dimension: field(form, 'dimension'),
      from: field(form, 'from'),
      to: field(form, 'to'),
      region: field(form, 'region') || undefined,
    };
    replace(customers);
    void load(
      result,
      'the migration matrix',
      () => get<MigrationMatrix>('/v1/analytics/migration', query, ANALYST),
      (matrix) => renderMatrix(matrix, (from, to) => listCell(customers, query, from, to)),
    );
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  show();
}

function renderMatrix(
  m: MigrationMatrix,
  pick: (from: string, to: string) => void,
): Array<HTMLElement | string> {
  if (m.totals.customers === 0) {
    return [empty(`No customer held a ${m.dimension} level at either date.`)];
  }
  const levels = m.levels;
  const rowShare = (from: string, to: string) =>
    m.totals.from[from] === 0 ? 0 : m.matrix[from][to] / m.totals.from[from];
  const cells = levels.flatMap((from, y) =>
    levels.map((to, x) => [x, y, m.matrix[from][to], rowShare(from, to)]),
  );
  const heat = chart(
    `${m.dimension} migration heat map`,
    {
      grid: { left: 90, right: 16, top: 40, bottom: 70, containLabel: false },
      xAxis: { type: 'category', data: levels.map(label), name: 'at "to"', position: 'top' },
      yAxis: { type: 'category', data: levels.map(label), name: 'at "from"', inverse: true },
      visualMap: {
        min: 0,
        max: Math.max(1, ...levels.flatMap((f) => levels.map((t) => m.matrix[f][t]))),
        dimension: 2,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        calculable: false,
        inRange: { color: ['#f4f7fb', '#2b6cb0'] },
      },
      tooltip: {
        formatter: (p: { value: number[] }) =>
          `${label(levels[p.value[1]])} → ${label(levels[p.value[0]])}: ${formatCount(p.value[2])} (${formatShare(p.value[3])} of the row)`,
      },
      series: [
        {
          type: 'heatmap',
          data: cells,
          label: {
            show: true,
            formatter: (p: { value: number[] }) =>
              `${formatCount(p.value[2])}\n${formatShare(p.value[3])}`,
          },
        },
      ],
    },
    Math.max(320, 90 + levels.length * 48),
  );
  heat.chart.on('click', (p) => {
    const [x, y] = (p as { value: number[] }).value;
    pick(levels[y], levels[x]);
  });

  const head = [`${m.dimension} at from ↓ / at to →`, ...levels.map(label), 'total'];
  const rows = levels.map((from) => [
    h('th', { scope: 'row' }, label(from)),
    ...levels.map((to) =>
      h(
        'button',
        {
          type: 'button',
          class: 'cell',
          'data-from': from,
          'data-to': to,
          'data-count': m.matrix[from][to],
          title: `List the customers who went from ${label(from)} to ${label(to)}`,
          disabled: m.matrix[from][to] === 0,
        },
        h('span', { class: 'count' }, formatCount(m.matrix[from][to])),
        h('span', { class: 'share' }, formatShare(rowShare(from, to))),
      ),
    ),
    h('span', { 'data-total-from': from }, formatCount(m.totals.from[from])),
  ]);
  rows.push([
    h('th', { scope: 'row' }, 'total'),
    ...levels.map((to) => h('span', { 'data-total-to': to }, formatCount(m.totals.to[to]))),
    h('strong', { 'data-total': 'customers' }, formatCount(m.totals.customers)),
  ]);
  const grid = table(
    `Customers by ${m.dimension} at both dates (count and share of the row)`,
    head,
    rows,
    {
      class: 'matrix',
      id: 'migration-table',
    },
  );
  grid.addEventListener('click', (event) => {
    const cell = (event.target as Element).closest<HTMLButtonElement>('button.cell');
    if (cell?.dataset.from && cell.dataset.to) pick(cell.dataset.from, cell.dataset.to);
  });
  return [heat.box, grid];
}

function listCell(
  slot: HTMLElement,
  query: Record<string, string | undefined>,
  from: string,
  to: string,
): void {
  const rows: HTMLElement = h('div');
  const title = `Customers from ${label(from)} to ${label(to)}`;
  const page = (cursor?: string) =>
    get<MigrationCustomers>(
      '/v1/analytics/migration/customers',
      { ...query, fromLevel: from, toLevel: to, limit: 50, cursor },
      ANALYST,
    );
  const render = (answer: MigrationCustomers, previous: CustomerRow[]) => {
    const items = [...previous, ...answer.items];
    const more = answer.nextCursor
      ? h('button', { type: 'button', class: 'more' }, 'More customers')
      : null;
    more?.addEventListener('click', () => {
      void load(
        rows,
        'more customers',
        () => page(answer.nextCursor ?? undefined),
        (next) => render(next, items),
      );
    });
    if (items.length === 0) return [empty('Nobody in this cell.')];
    return [
      h(
        'p',
        { class: 'note' },
        `${formatCount(answer.total)} customers; ${formatCount(items.length)} shown.`,
      ),
      customerTable(items),
      more,
    ];
  };
  replace(slot, section(title, rows));
  void load(
    rows,
    'the customers of the cell',
    () => page(),
    (answer) => render(answer, []),
  );
  slot.scrollIntoView({ block: 'nearest' });
}

/** Customers as profiles show them: personal data masked for analysts by the API itself. */
export function customerTable(items: CustomerRow[]): HTMLElement {
  return table(
    'Customers',
    ['customer', 'name', 'email', 'phone', 'region', 'stage', 'tier'],
    items.map((c) => [
      customerLink(c.customerId),
      c.name ?? (c.personalData === 'erased' ? 'erased' : '–'),
      c.email ?? '–',
      c.phone ?? '–',
      c.region ?? '–',
      c.lifecycle?.stage ? label(c.lifecycle.stage) : '–',
      c.tier?.level ? label(c.tier.level) : '–',
    ]),
    { class: 'customers', id: 'cell-customers' },
  );
}
