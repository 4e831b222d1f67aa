import { ANALYST, AUDITOR, get } from '../api';
import { empty, field, h, load, replace, section, table } from '../dom';
import { formatCount, formatMoment, formatNumber, label } from '../format';
import type { AsOf, HistoryEvent, HistoryPage, Profile, TimelineInterval } from '../types';

const HOUR = 3_600_000;
const HISTORY_PAGE = 200;

/** One customer: profile, tier and stage timeline; for auditors the history and the as-of slider. */
export function customerView(root: HTMLElement, customerId: string | undefined): void {
  const form = h(
    'form',
    { class: 'controls', id: 'customer-form' },
    h(
      'label',
      {},
      'Customer id ',
      h('input', {
        type: 'text',
        name: 'customerId',
        value: customerId ?? '',
        required: true,
        maxlength: 200,
      }),
    ),
    h('button', { type: 'submit' }, 'Open'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = field(form, 'customerId');
    if (id) location.hash = `#customer/${encodeURIComponent(id)}`;
  });
  if (!customerId) {
    replace(
      root,
      section('Customer', form, empty('Enter a customer id, or open one from a list.')),
    );
    return;
  }
  const profile = h('div', { id: 'customer-profile' });
  const timeline = h('div', { id: 'customer-timeline' });
  const history = h('div', { id: 'customer-history' });
  replace(
    root,
    section('Customer', form, profile),
    section('Tier and stage timeline', timeline),
    section('History (auditors)', history),
  );
  const path = `/v1/profiles/${encodeURIComponent(customerId)}`;
  void load(
    profile,
    'the profile',
    () => get<Profile>(path, {}, ANALYST),
    (p) => {
      void loadHistory(history, customerId, p);
      return profileCard(p);
    },
  );
  void load(
    timeline,
    'the timeline',
    () => get<{ intervals: TimelineInterval[] }>(`${path}/timeline`, {}, ANALYST),
    ({ intervals }) => {
      const shown = intervals.filter((i) => i.dimension === 'tier' || i.dimension === 'stage');
      if (shown.length === 0) return empty('No tier or stage yet.');
      return table(
        'Tiers and stages held, oldest first',
        ['dimension', 'level', 'from', 'until', 'reason'],
        shown.map((i) => [
          i.dimension,
          label(i.level),
          formatMoment(i.from),
          i.to ? formatMoment(i.to) : 'now',
          label(i.reason),
        ]),
        { id: 'timeline-table' },
      );
    },
  );
}

function profileCard(p: Profile): HTMLElement {
  const rows: Array<[string, string, string]> = [
    ['name', 'name', p.name ?? (p.personalData === 'erased' ? 'erased' : '–')],
    ['email', 'email', p.email ?? '–'],
    ['phone', 'phone', p.phone ?? '–'],
    ['personal data', 'personalData', p.personalData ?? '–'],
    ['region', 'region', p.region ?? '–'],
    ['status', 'status', p.status],
    [
      'stage',
      'stage',
      p.lifecycle ? `${label(p.lifecycle.stage)} since ${formatMoment(p.lifecycle.since)}` : '–',
    ],
    ['tier', 'tier', p.tier ? `${label(p.tier.level)} since ${formatMoment(p.tier.since)}` : '–'],
    ['value quadrant', 'quadrant', p.quadrant ? label(p.quadrant.level) : '–'],
    ['key-account segment', 'account', p.account ? label(p.account.level) : '–'],
    ['spend (lifetime)', 'spend', formatNumber(p.spend.lifetime)],
    ['spend in the tier window', 'spendInWindow', formatNumber(p.spend.inTierWindow.amount)],
    ['orders', 'orders', formatCount(p.orders)],
    ['last purchase', 'lastPurchase', formatMoment(p.lastPurchaseAt)],
    ['RFM', 'rfm', p.rfm ? `${p.rfm.cell} (${label(p.rfm.segment)})` : '–'],
    ['satisfaction (mean score)', 'satisfaction', formatNumber(p.satisfaction?.meanScore)],
    ['open complaints', 'openComplaints', formatCount(p.complaints.openCount)],
  ];
  return h(
    'dl',
    { class: 'profile', id: 'profile-card', 'data-customer': p.customerId },
    ...rows.flatMap(([title, key, value]) => [
      h('dt', {}, title),
      h('dd', { 'data-field': key }, value),
    ]),
  );
}

async function loadHistory(slot: HTMLElement, customerId: string, profile: Profile): Promise<void> {
  const path = `/v1/customers/${encodeURIComponent(customerId)}`;
  const page = (cursor?: string) =>
    get<HistoryPage>(`${path}/history`, { limit: HISTORY_PAGE, cursor }, AUDITOR);
  const slider = h('div', { id: 'as-of' });
  const events = h('div', { id: 'history-events' });
  /** The events read so far and, while there are more, a button for the next page. */
  const renderEvents = (items: HistoryEvent[], next: string | null): Array<HTMLElement | null> => {
    const more = next ? h('button', { type: 'button', class: 'more' }, 'More events') : null;
    more?.addEventListener('click', () => {
      void load(
        events,
        'more events',
        () => page(next ?? undefined),
        (answer) => renderEvents([...items, ...answer.items], answer.nextCursor),
      );
    });
    return [
      table(
        next
          ? `The first ${formatCount(items.length)} events`
          : `All ${formatCount(items.length)} events`,
        ['revision', 'event', 'occurred', 'recorded', 'actor', 'source'],
        items.map((e) => [
          formatCount(e.revision),
          e.kind ?? e.type,
          formatMoment(e.occurredAt),
          formatMoment(e.recordedAt),
          e.actor,
          e.source ?? '–',
        ]),
        { id: 'history-table' },
      ),
      more,
    ];
  };
  await load(
    slot,
    'the history',
    () => page(),
    (first) => {
      if (first.items.length === 0) return empty('No event recorded.');
      // The stream starts with the registration or the first touchpoint: the slider runs from then to now.
      const start = Math.min(...first.items.map((e) => Date.parse(e.occurredAt)));
      const end = Math.max(Date.now(), Date.parse(profile.lastSeenAt ?? '') || 0);
      renderSlider(slider, path, start, end);
      replace(events, ...renderEvents(first.items, first.nextCursor));
      return [slider, events];
    },
  );
}

/** A slider over the customer's life; letting go of it asks the as-of route for the state at that moment. */
function renderSlider(slot: HTMLElement, path: string, first: number, last: number): void {
  const start = Math.floor(first / HOUR) * HOUR;
  const end = Math.ceil(last / HOUR) * HOUR;
  const input = h('input', {
    type: 'range',
    id: 'as-of-slider',
    min: start,
    max: end,
    step: HOUR,
    value: end,
    'aria-label': 'as of',
  });
  const shown = h(
    'output',
    { for: 'as-of-slider', id: 'as-of-moment' },
    formatMoment(new Date(end).toISOString()),
  );
  const state = h('div', { id: 'as-of-state' });
  const ask = () => {
    const at = new Date(Number(input.value)).toISOString();
    void load(
      state,
      'the state at that moment',
      () => get<AsOf>(`${path}/as-of`, { at }, AUDITOR),
      (asOf) =>
        h(
          'dl',
          { class: 'profile', id: 'as-of-card', 'data-at': asOf.at },
          h('dt', {}, 'as of'),
          h('dd', { 'data-field': 'at' }, formatMoment(asOf.at)),
          h('dt', {}, 'events applied'),
          h('dd', { 'data-field': 'eventsApplied' }, formatCount(asOf.eventsApplied)),
          h('dt', {}, 'stage'),
          h('dd', { 'data-field': 'stage' }, asOf.stage ? label(asOf.stage) : 'none'),
          h('dt', {}, 'tier'),
          h('dd', { 'data-field': 'tier' }, asOf.tier ? label(asOf.tier) : 'none'),
          h('dt', {}, 'value quadrant'),
          h(
            'dd',
            { 'data-field': 'quadrant' },
            asOf.segments.quadrant ? label(asOf.segments.quadrant) : 'none',
          ),
          h('dt', {}, 'spend (lifetime)'),
          h('dd', { 'data-field': 'spend' }, formatNumber(asOf.profile.spend.lifetime)),
          h('dt', {}, 'name'),
          h('dd', { 'data-field': 'name' }, asOf.profile.name ?? '–'),
        ),
    );
  };
  input.addEventListener('input', () => {
    shown.textContent = formatMoment(new Date(Number(input.value)).toISOString());
  });
  input.addEventListener('change', ask);
  replace(slot, h('label', { class: 'slider' }, 'State as of ', input, shown), state);
  ask();
}
