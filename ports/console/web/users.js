// User lookup: a user's segments, location, notifications, and the promos
// they would see now. A client looks up itself only.
import { api } from './api.js';
import { field, h, money, notice, when } from './ui.js';

export function render(main, ctx) {
  const s = ctx.session;
  const self = !s.roles.has('admin') && !s.roles.has('marketplace');
  const input = h('input', { id: 'user-id', name: 'user_id', autocomplete: 'off', value: self ? s.subject : ctx.id || '', readonly: self ? true : null });
  const out = h('div', { id: 'user-out', 'aria-live': 'polite' });
  const form = h('form', { class: 'card inline-form', role: 'search', 'aria-label': 'Look up a user' },
    field('User id', input), h('button', { type: 'submit', class: 'primary' }, 'Look up'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = input.value.trim();
    if (!id) {
      out.replaceChildren(notice('error', 'Enter a user id.'));
      return;
    }
    if (ctx.id !== id) history.replaceState(null, '', '#/users/' + encodeURIComponent(id));
    lookup(id, out);
  });
  main.append(h('div', { class: 'page-head' }, h('h1', {}, 'User lookup')), form, out);
  if (input.value) lookup(input.value, out);
  return () => {};
}

async function lookup(id, out) {
  out.replaceChildren(h('p', { class: 'sub' }, 'Looking up…'));
  try {
    const [user, visible, notes] = await Promise.all([api.getUser(id), api.userPromos(id), api.userNotifications(id)]);
    out.replaceChildren(profile(user), promos(visible.promos), notifications(notes.notifications));
  } catch (e) {
    out.replaceChildren(notice('error', e.status === 404 ? `No user ${id}.` : e.message));
  }
}

function profile(u) {
  const loc = u.location ? `${u.location.lat}, ${u.location.lng}` : 'unknown';
  return h('section', { class: 'card', 'aria-labelledby': 'u-title' },
    h('h2', { id: 'u-title' }, u.user_id),
    h('dl', {},
      h('dt', {}, 'Segments'), h('dd', { id: 'user-segments' }, u.segments.length ? u.segments.join(', ') : 'none'),
      h('dt', {}, 'Location'), h('dd', {}, loc),
      h('dt', {}, 'Registered'), h('dd', {}, when(u.registered_at)),
      h('dt', {}, 'Recent purchases'), h('dd', {}, String(u.recent_purchases))));
}

function promos(list) {
  return h('section', { class: 'card', 'aria-labelledby': 'up-title' },
    h('h2', { id: 'up-title' }, 'Promos this user would see now'),
    list.length ? h('ul', { class: 'plain', id: 'user-promos' }, list.map((p) => h('li', {},
      h('a', { href: '#/promos/' + encodeURIComponent(p.id) }, p.product.name), ` at ${p.store.name} · ${money(p.promo_price)} · `,
      `${p.available} left · ${Math.round(p.distance_m)} m away · until ${when(p.ends_at)}`)))
      : h('p', { class: 'empty' }, 'None: no active promo of their segments within reach.'));
}

function notifications(list) {
  return h('section', { class: 'card', 'aria-labelledby': 'un-title' },
    h('h2', { id: 'un-title' }, `Notifications (${list.length})`),
    list.length ? h('ul', { class: 'plain' }, list.map((n) => h('li', {},
      h('strong', {}, n.title), h('div', { class: 'sub' }, `${when(n.sent_at)} · promo ${n.promo_id}`), n.body)))
      : h('p', { class: 'empty' }, 'None.'));
}
