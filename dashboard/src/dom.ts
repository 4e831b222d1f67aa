/** A few helpers to build the page with DOM calls (no HTML strings, nothing inline for the CSP to refuse). */
import { isoDay } from './format';

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') element.className = String(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

const DAY = 86_400_000;

/** The `From` and `To` date inputs of a period ending `toDaysAhead` days after today and `days` long. */
export function periodInputs(days: number, toDaysAhead = 0): HTMLElement[] {
  const to = Date.now() + toDaysAhead * DAY;
  const input = (title: string, name: string, time: number) =>
    h(
      'label',
      {},
      `${title} `,
      h('input', {
        type: 'date',
        name,
        value: isoDay(time),
        required: true,
      }),
    );
  return [input('From', 'from', to - days * DAY), input('To', 'to', to)];
}

/** A form field's text, trimmed ('' when absent). */
export function field(form: HTMLFormElement, name: string): string {
  const value = new FormData(form).get(name);
  return typeof value === 'string' ? value.trim() : '';
}

export const loading = (what: string) =>
  h('p', { class: 'state loading', role: 'status', 'aria-busy': 'true' }, `Loading ${what}…`);
export const empty = (what: string) => h('p', { class: 'state empty', role: 'status' }, what);
export const failure = (error: unknown) =>
  h(
    'p',
    { class: 'state error', role: 'alert' },
    error instanceof Error ? error.message : String(error),
  );

/** Shows loading, then what `render` builds from the answer, or the error, in `slot`. */
export async function load<T>(
  slot: Element,
  what: string,
  fetch: () => Promise<T>,
  render: (value: T) => Child | Child[],
): Promise<T | undefined> {
  replace(slot, loading(what));
  try {
    const value = await fetch();
    const built = render(value);
    replace(slot, ...(Array.isArray(built) ? built : [built]));
    return value;
  } catch (error) {
    replace(slot, failure(error));
    return undefined;
  }
}

/** A table with a header row; cells may be nodes. */
export function table(
  caption: string,
  head: string[],
  rows: Child[][],
  attributes: Attributes = {},
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attributes,
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...head.map((title) => h('th', { scope: 'col' }, title)))),
      h(
        'tbody',
        {},
        ...rows.map((cells) => h('tr', {}, ...cells.map((cell) => h('td', {}, cell)))),
      ),
    ),
  );
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children);
}

/** A link to the customer view of one customer. */
export const customerLink = (customerId: string) =>
  h('a', { href: `#customer/${encodeURIComponent(customerId)}` }, customerId);
