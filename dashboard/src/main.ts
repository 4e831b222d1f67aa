import { ANALYST, forgetKey, get, keepKey, sessionKey } from './api';
import { disposeCharts } from './charts';
import { failure, field, loading, replace } from './dom';
import type { LifecycleReport } from './types';
import { customerView } from './views/customer';
import { interactionsView } from './views/interactions';
import { lifecycleView } from './views/lifecycle';
import { migrationView } from './views/migration';
import { valueView } from './views/value';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const view = $('view');
const signIn = $<HTMLFormElement>('sign-in');
const signedIn = $('signed-in');
const nav = $('nav');

/** Which view the address names: `#migration`, `#customer/<id>`, … */
function route(): void {
  disposeCharts();
  if (!sessionKey()) return;
  const [name, ...rest] = location.hash.replace(/^#/, '').split('/');
  for (const link of nav.querySelectorAll('a')) {
    link.classList.toggle('current', link.getAttribute('href') === `#${name || 'migration'}`);
  }
  switch (name) {
    case 'lifecycle':
      return lifecycleView(view);
    case 'value':
      return valueView(view);
    case 'interactions':
      return interactionsView(view);
    case 'customer':
      return customerView(view, rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined);
    default:
      return migrationView(view);
  }
}

function showSignedIn(on: boolean): void {
  signIn.hidden = on;
  signedIn.hidden = !on;
  nav.hidden = !on;
}

signIn.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = field(signIn, 'key');
  if (!key) return;
  keepKey(key);
  replace(view, loading('your access'));
  // One call every reading role may make checks the key before any view shows.
  get<LifecycleReport>('/v1/analytics/lifecycle', { limit: 0 }, ANALYST).then(
    () => {
      signIn.reset();
      $('whoami').textContent = 'Signed in for this tab';
      showSignedIn(true);
      route();
    },
    (error: unknown) => {
      forgetKey();
      replace(view, failure(error));
    },
  );
});

$('sign-out').addEventListener('click', () => {
  forgetKey();
  disposeCharts();
  showSignedIn(false);
  replace(view, 'Signed out.');
});

window.addEventListener('hashchange', route);
if (sessionKey()) {
  $('whoami').textContent = 'Signed in for this tab';
  showSignedIn(true);
  route();
}
