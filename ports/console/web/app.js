// The console's shell: sign-in, the pages a role may use, and a router on
// the URL's fragment (which never holds the credential).
import { api, can, onUnauthorized, session, signIn, signOut } from './api.js';
import { field, h, notice } from './ui.js';
import * as promos from './promos.js';
import * as promo from './promo.js';
import * as events from './events.js';
import * as projections from './projections.js';
import * as users from './users.js';

const pages = [
  { path: 'promos', title: 'Promos', allowed: 'promos', page: promos },
  { path: 'events', title: 'Event log', allowed: 'events', page: events },
  { path: 'projections', title: 'Projections', allowed: 'projections', page: projections },
  { path: 'users', title: 'User lookup', allowed: 'users', page: users },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let cleanup = () => {};
let signOutReason = '';
let checking = false;

onUnauthorized(() => {
  if (checking) return; // the sign-in form says it
  signOutReason = 'The service refused the credential (missing, invalid or expired). Sign in again.';
  signOut();
  route();
});

function route() {
  cleanup();
  cleanup = () => {};
  const s = session();
  renderChrome(s);
  main.replaceChildren();
  if (!s) {
    renderSignIn();
    return;
  }
  const [name, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const id = rest.map(decodeURIComponent).join('/');
  const allowed = pages.filter((p) => can(s, p.allowed));
  if (name === 'promos' && id) {
    show('Promo ' + id, promo, s, id);
    return;
  }
  const p = allowed.find((x) => x.path === name);
  if (!p) {
    if (allowed.length) location.replace('#/' + allowed[0].path);
    else main.append(notice('error', 'This credential has no role the console can serve.'));
    return;
  }
  show(p.title, p.page, s, id);
}

function show(title, page, s, id) {
  document.title = `${title} · Flash Promo console`;
  const ctx = { session: s, id, go: (hash) => { location.hash = hash; } };
  cleanup = page.render(main, ctx) || (() => {});
  nav.querySelectorAll('a').forEach((a) => {
    const current = location.hash.startsWith(a.getAttribute('href'));
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

function renderChrome(s) {
  nav.hidden = who.hidden = !s;
  if (!s) return;
  nav.replaceChildren(...pages.filter((p) => can(s, p.allowed)).map((p) => h('a', { href: '#/' + p.path }, p.title)));
  const roles = [...s.roles].join(', ');
  who.replaceChildren(
    h('span', { class: 'who-name', title: 'roles: ' + roles }, s.operator ? 'admin token' : s.subject),
    h('span', { class: 'who-roles' }, s.operator ? 'every role' : roles + (s.storeId ? ` · store ${s.storeId}` : '')),
    h('button', { type: 'button', class: 'link', onclick: () => { signOut(); route(); } }, 'Sign out'));
}

// check asks the service one question the credential's roles may ask, so
// that a bad credential is refused at sign-in rather than on a page.
async function check(s) {
  if (can(s, 'promos')) return api.listPromos('active');
  if (can(s, 'projections')) return api.listProjections();
  return api.getUser(s.subject).catch((e) => { if (e.status !== 404) throw e; });
}

function renderSignIn() {
  document.title = 'Sign in · Flash Promo console';
  const input = h('input', { type: 'password', id: 'credential', name: 'credential', autocomplete: 'off', required: true, spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h('p', {}, 'Paste the admin token or a JWT of the marketplace. It stays in this tab (session storage) and goes only in the Authorization header.'),
    field('Credential', input),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    status);
  if (signOutReason) status.append(notice('error', signOutReason));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) {
      status.replaceChildren(notice('error', 'Enter a credential.'));
      return;
    }
    signIn(input.value);
    input.value = '';
    checking = true;
    try {
      await check(session());
    } catch (e) {
      signOut();
      status.replaceChildren(notice('error', e.status === 401 ? 'The service refused this credential.' : e.message));
      return;
    } finally {
      checking = false;
    }
    signOutReason = '';
    route();
  });
  main.append(form);
  input.focus();
}

window.addEventListener('hashchange', () => {
  route();
  if (!main.contains(document.activeElement)) main.focus(); // a screen reader starts at the new page
});
route();
