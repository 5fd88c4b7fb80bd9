// Promos: the list with status and live stock, the create form (the API's
// messages beside the field they name), and cancel.
import { api, ApiError } from './api.js';
import { badge, clearFieldErrors, field, h, money, notice, Poller, replaceKeeping, showFieldError, when } from './ui.js';

const STATUSES = ['', 'scheduled', 'active', 'ended', 'cancelled'];

export function render(main, ctx) {
  const status = h('div', { 'aria-live': 'polite', class: 'status-line' });
  const filter = h('select', { id: 'promo-status' }, STATUSES.map((s) => h('option', { value: s }, s || 'any')));
  const list = h('div', { id: 'promo-list' });
  const refresh = async () => {
    const { promos } = await api.listPromos(filter.value);
    promos.sort((a, b) => (a.starts_at < b.starts_at ? 1 : -1));
    replaceKeeping(list, promoTable(promos, ctx, status, () => poller.tick()));
  };
  const poller = new Poller(2000, refresh, (e) => status.replaceChildren(notice('error', e.message)));
  filter.addEventListener('change', () => { clearTimeout(poller.timer); poller.tick(); });

  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Promos'), h('div', { class: 'inline' }, field('Status', filter))),
    status,
    list,
    createForm(ctx, status, () => { clearTimeout(poller.timer); poller.tick(); }));
  poller.start();
  return () => poller.stop();
}

function promoTable(promos, ctx, status, refresh) {
  if (!promos.length) return h('p', { class: 'empty' }, 'No promos.');
  const rows = promos.map((p) => h('tr', { 'data-promo': p.id },
    h('th', { scope: 'row' }, h('a', { href: '#/promos/' + encodeURIComponent(p.id), 'data-key': 'open-' + p.id }, p.product.name), h('div', { class: 'sub' }, p.id)),
    h('td', { 'data-label': 'Store' }, p.store.name, h('div', { class: 'sub' }, p.store.id)),
    h('td', { 'data-label': 'Status' }, badge(p.status)),
    h('td', { class: 'num', 'data-label': 'Price' }, money(p.promo_price), h('div', { class: 'sub strike' }, money(p.regular_price))),
    h('td', { class: 'num stock', 'data-label': 'Available / held / sold' }, stockText(p.stock)),
    h('td', { class: 'num', 'data-label': 'Notified' }, String(p.notifications.sent)),
    h('td', { 'data-label': 'Window' }, when(p.starts_at), h('div', { class: 'sub' }, 'to ' + when(p.ends_at))),
    h('td', {}, cancelButton(p, status, refresh))));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
    h('caption', { class: 'visually-hidden' }, 'Promos, refreshed every 2 seconds'),
    h('thead', {}, h('tr', {}, ['Product', 'Store', 'Status', 'Price', 'Available / held / sold', 'Notified', 'Window', ''].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows)));
}

function stockText(s) {
  return `${s.available} / ${s.held} / ${s.sold} of ${s.total}`;
}

// armed holds when each promo's Cancel was first pressed: a second press
// within ARMED_MS confirms, as a cancel cannot be undone. It outlives the
// button, which a poll may draw again in between.
const armed = new Map();
const ARMED_MS = 5000;

export function cancelButton(p, status, refresh) {
  if (p.status !== 'scheduled' && p.status !== 'active') return null;
  const confirming = Date.now() - (armed.get(p.id) || 0) < ARMED_MS;
  return h('button', {
    type: 'button', class: 'danger', 'data-key': 'cancel-' + p.id,
    'aria-label': `${confirming ? 'Confirm: cancel' : 'Cancel'} ${p.product.name} (${p.id})`,
    onclick: async (ev) => {
      const b = ev.currentTarget;
      if (Date.now() - (armed.get(p.id) || 0) >= ARMED_MS) {
        armed.set(p.id, Date.now());
        b.textContent = 'Confirm cancel';
        b.setAttribute('aria-label', `Confirm: cancel ${p.product.name} (${p.id})`);
        return;
      }
      armed.delete(p.id);
      b.disabled = true;
      try {
        await api.cancelPromo(p.id);
        status.replaceChildren(notice('ok', `Promo ${p.id} cancelled.`));
      } catch (e) {
        status.replaceChildren(notice('error', e.message));
      }
      refresh();
    },
  }, confirming ? 'Confirm cancel' : 'Cancel');
}

// localInput formats a Date for <input type=datetime-local>.
function localInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function createForm(ctx, status, refresh) {
  const s = ctx.session;
  const store = !s.roles.has('admin') && s.storeId; // a store token creates for its own store only
  const now = new Date();
  const inputs = {
    id: h('input', { name: 'id', autocomplete: 'off', placeholder: 'chosen by the service' }),
    'store.id': h('input', { name: 'store.id', value: store || '', readonly: store ? true : null }),
    'store.name': h('input', { name: 'store.name' }),
    'store.location.lat': h('input', { name: 'store.location.lat', inputmode: 'decimal' }),
    'store.location.lng': h('input', { name: 'store.location.lng', inputmode: 'decimal' }),
    'product.id': h('input', { name: 'product.id' }),
    'product.name': h('input', { name: 'product.name' }),
    currency: h('input', { name: 'currency', value: 'MXN', maxlength: 3 }),
    'regular_price.amount': h('input', { name: 'regular_price.amount', inputmode: 'numeric' }),
    'promo_price.amount': h('input', { name: 'promo_price.amount', inputmode: 'numeric' }),
    radius_m: h('input', { name: 'radius_m', inputmode: 'decimal', value: '2000' }),
    stock: h('input', { name: 'stock', inputmode: 'numeric', value: '50' }),
    starts_at: h('input', { name: 'starts_at', type: 'datetime-local', value: localInput(now) }),
    ends_at: h('input', { name: 'ends_at', type: 'datetime-local', value: localInput(new Date(now.getTime() + 2 * 3600e3)) }),
  };
  const segBoxes = ['new_users', 'frequent_buyers'].map((v) => h('input', { type: 'checkbox', name: 'segments', value: v, id: 'seg-' + v, checked: true }));
  const segments = h('fieldset', { class: 'field segments', 'aria-describedby': 'segments-error' },
    h('legend', {}, 'Segments'),
    segBoxes.map((b) => h('label', { class: 'check' }, b, ' ' + b.value.replace('_', ' '))),
    h('p', { class: 'field-error', id: 'segments-error', role: 'alert', hidden: true }));
  Object.entries(inputs).forEach(([k, el]) => { el.id = 'promo-' + k.replace(/\./g, '-'); });

  const formStatus = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create promo');
  const form = h('form', { class: 'card', id: 'create-promo', novalidate: true, 'aria-labelledby': 'create-title' },
    h('h2', { id: 'create-title' }, 'New promo'),
    h('p', { class: 'hint' }, 'Prices in minor units (49900 MXN is $499.00). The service checks every rule; its message appears beside the field.'),
    h('div', { class: 'grid' },
      field('Promo id (optional)', inputs.id),
      field('Store id', inputs['store.id']),
      field('Store name', inputs['store.name']),
      field('Store latitude', inputs['store.location.lat']),
      field('Store longitude', inputs['store.location.lng']),
      field('Product id', inputs['product.id']),
      field('Product name', inputs['product.name']),
      field('Currency', inputs.currency),
      field('Regular price', inputs['regular_price.amount']),
      field('Promo price', inputs['promo_price.amount']),
      field('Radius (m)', inputs.radius_m),
      field('Stock', inputs.stock),
      field('Starts at (local time)', inputs.starts_at),
      field('Ends at (local time)', inputs.ends_at),
      segments),
    h('div', { class: 'actions' }, submit),
    formStatus);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    formStatus.replaceChildren();
    submit.disabled = true;
    try {
      const p = await api.createPromo(promoBody(inputs, segBoxes));
      formStatus.replaceChildren(notice('ok', `Promo ${p.id} created (${p.status}).`), ' ', h('a', { href: '#/promos/' + encodeURIComponent(p.id) }, 'Open it'));
      refresh();
    } catch (e) {
      showError(e, inputs, segments, formStatus);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// promoBody is the request as API.md writes it; an empty input is left out
// so that the service names the missing field.
function promoBody(inputs, segBoxes) {
  const v = (k) => inputs[k].value.trim();
  const num = (k) => {
    if (v(k) === '') return undefined;
    const n = Number(v(k));
    return Number.isFinite(n) ? n : v(k); // as typed: the service says what is wrong with it
  };
  const time = (k) => (v(k) === '' ? undefined : new Date(v(k)).toISOString());
  const body = {
    store: { id: v('store.id'), name: v('store.name'), location: { lat: num('store.location.lat'), lng: num('store.location.lng') } },
    product: { id: v('product.id'), name: v('product.name') },
    regular_price: { amount: num('regular_price.amount'), currency: v('currency') },
    promo_price: { amount: num('promo_price.amount'), currency: v('currency') },
    segments: segBoxes.filter((b) => b.checked).map((b) => b.value),
    radius_m: num('radius_m'),
    starts_at: time('starts_at'),
    ends_at: time('ends_at'),
    stock: num('stock'),
  };
  if (v('id')) body.id = v('id');
  return body;
}

// showError puts the API's message beside the field it names, or under
// the form when it names none.
function showError(e, inputs, segments, formStatus) {
  const f = e instanceof ApiError ? e.field : '';
  const key = f.replace(/\[\d+\]$/, '');
  let target = inputs[key];
  if (!target && /^(regular_price|promo_price)\.currency$/.test(key)) target = inputs.currency;
  if (!target && key.startsWith('store.location')) target = inputs['store.location.lat'];
  if (target) {
    showFieldError(target, e.message);
    target.focus();
  } else if (key === 'segments') {
    const msg = document.getElementById('segments-error');
    msg.textContent = e.message;
    msg.hidden = false;
    segments.querySelector('input').focus();
  }
  formStatus.replaceChildren(notice('error', `${e.code}: ${e.message}`));
}
