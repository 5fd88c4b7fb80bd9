// The event log, for analysts: filter by type, stream and position range,
// page through, open an envelope, follow new events live, export what is
// shown as JSON lines.
import { api } from './api.js';
import { field, h, notice, Poller, replaceKeeping, when } from './ui.js';

export const TYPES = ['PromoCreated', 'PromoActivated', 'PromoEnded', 'PromoCancelled', 'PromoSlotClaimed', 'PromoSlotReleased',
  'PromoSeriesCreated', 'PromoSeriesCancelled', 'ReservationPlaced', 'ReservationReleased', 'ReservationExpired',
  'PurchaseCompleted', 'UserRegistered', 'UserLocationUpdated', 'UserPurchaseRecorded', 'NotificationSent'];
const KEEP_LIVE = 2000; // events kept on screen while following

export function render(main) {
  const type = h('select', { id: 'ev-type', name: 'type' }, h('option', { value: '' }, 'any'), TYPES.map((t) => h('option', { value: t }, t)));
  const stream = h('input', { id: 'ev-stream', name: 'stream', placeholder: 'e.g. promo-audifonos-xyz-flash', autocomplete: 'off' });
  const from = h('input', { id: 'ev-from', name: 'from', inputmode: 'numeric', placeholder: '1' });
  const to = h('input', { id: 'ev-to', name: 'to', inputmode: 'numeric', placeholder: 'end of log' });
  const limit = h('select', { id: 'ev-limit', name: 'limit' }, [25, 100, 500, 1000].map((n) => h('option', { value: n, selected: n === 100 }, String(n))));
  const follow = h('input', { type: 'checkbox', id: 'ev-follow' });
  const prev = h('button', { type: 'button', id: 'ev-prev' }, '← Previous');
  const next = h('button', { type: 'button', id: 'ev-next' }, 'Next →');
  const exportBtn = h('button', { type: 'button', id: 'ev-export' }, 'Export JSON lines');
  const status = h('div', { 'aria-live': 'polite', class: 'status-line', id: 'ev-status' });
  const list = h('div', { id: 'ev-list' });
  const dialog = envelopeDialog();

  const state = { after: 0, next: 0, back: [], shown: [] };
  const filter = () => ({ type: type.value, stream: stream.value.trim() });
  const bounds = () => {
    const f = parseInt(from.value, 10);
    const t = parseInt(to.value, 10);
    return { from: Number.isFinite(f) && f > 0 ? f : 1, to: Number.isFinite(t) ? t : Infinity };
  };

  async function load(after) {
    const { to: last } = bounds();
    const page = await api.readEvents({ ...filter(), after, limit: limit.value });
    state.after = after;
    state.shown = page.events.filter((e) => e.position <= last);
    state.next = page.next_after;
    draw();
    const more = page.events.length === Number(limit.value) && state.next < last;
    next.disabled = !more;
    prev.disabled = !state.back.length;
    status.replaceChildren(`${state.shown.length} event${state.shown.length === 1 ? '' : 's'} after position ${after}` +
      (more ? '' : ' · end of the range'));
  }

  function draw() {
    replaceKeeping(list, eventTable(state.shown, (e) => dialog.open(e)));
  }

  const run = (f) => f().catch((e) => status.replaceChildren(notice('error', e.message)));
  const form = h('form', { class: 'card filters', id: 'ev-filter', 'aria-label': 'Filter the event log' },
    h('div', { class: 'grid' },
      field('Type', type), field('Stream', stream), field('From position', from), field('To position', to), field('Page size', limit)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply'),
      h('label', { class: 'check' }, follow, ' Follow new events live'),
      exportBtn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.back = [];
    run(() => load(bounds().from - 1));
  });
  next.addEventListener('click', () => { state.back.push(state.after); run(() => load(state.next)); });
  prev.addEventListener('click', () => run(() => load(state.back.pop() ?? 0)));
  exportBtn.addEventListener('click', () => exportLines(state.shown, state.after));

  const live = new Poller(1000, async () => {
    const { to: last } = bounds();
    for (;;) {
      if (state.next >= last) return;
      const page = await api.readEvents({ ...filter(), after: state.next, limit: 1000 });
      if (!page.events.length) return;
      state.shown.push(...page.events.filter((e) => e.position <= last));
      state.next = page.next_after;
      if (state.shown.length > KEEP_LIVE) state.shown.splice(0, state.shown.length - KEEP_LIVE);
      draw();
      status.replaceChildren(`Following: ${state.shown.length} events shown, up to position ${state.next}`);
      if (page.events.length < 1000) return;
    }
  }, (e) => status.replaceChildren(notice('error', e.message)));
  let following = null;
  follow.addEventListener('change', () => {
    if (following) following.stop();
    following = null;
    if (follow.checked) {
      const p = new Poller(live.ms, live.f, live.onError);
      following = p.start();
    }
  });

  main.append(h('div', { class: 'page-head' }, h('h1', {}, 'Event log')), form, status,
    h('nav', { class: 'pager', 'aria-label': 'Pages of events' }, prev, next), list, dialog.el);
  run(() => load(0));
  return () => { if (following) following.stop(); };
}

function eventTable(events, open) {
  if (!events.length) return h('p', { class: 'empty' }, 'No events match.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'events' },
    h('caption', { class: 'visually-hidden' }, 'Events; open one to read its envelope'),
    h('thead', {}, h('tr', {}, ['Position', 'Type', 'Stream', 'Version', 'Occurred at', 'Actor'].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, events.map((e) => h('tr', { 'data-type': e.type },
      h('td', {}, h('button', { type: 'button', class: 'link', 'data-key': 'ev-' + e.position, 'aria-label': `Open event ${e.position}, ${e.type}`, onclick: () => open(e) }, String(e.position))),
      h('td', {}, e.type),
      h('td', { class: 'mono' }, e.stream_id),
      h('td', { class: 'num' }, String(e.version)),
      h('td', {}, when(e.occurred_at)),
      h('td', {}, e.metadata ? `${e.metadata.actor} (${e.metadata.role})` : '—'))))));
}

// envelopeDialog shows one envelope, metadata included, in a modal dialog
// (Escape closes it, focus returns to the row).
function envelopeDialog() {
  const title = h('h2', { id: 'env-title' });
  const pre = h('pre', { class: 'json', tabindex: '0' });
  const el = h('dialog', { class: 'envelope', 'aria-labelledby': 'env-title' },
    h('div', { class: 'page-head' }, title, h('button', { type: 'button', onclick: () => el.close() }, 'Close')),
    pre);
  return {
    el,
    open(e) {
      title.textContent = `#${e.position} ${e.type}`;
      pre.textContent = JSON.stringify(e, null, 2);
      el.showModal();
    },
  };
}

function exportLines(events, after) {
  const text = events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
  const a = h('a', { href: url, download: `flashpromo-events-after-${after}.jsonl` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
