// A promo, live: stock, notifications, the fan-out's progress, and a chart
// over time built from the promo's events (its stream, and the
// NotificationSent events that name it). Short polls, one a second.
import { api, can } from './api.js';
import { cancelButton } from './promos.js';
import { badge, h, money, notice, Poller, replaceKeeping, when } from './ui.js';

const SERIES = [
  { type: 'NotificationSent', label: 'Notifications', stroke: '#2563eb' },
  { type: 'ReservationPlaced', label: 'Holds', stroke: '#d97706' },
  { type: 'PurchaseCompleted', label: 'Purchases', stroke: '#059669' },
  { type: 'ReservationExpired', label: 'Expiries', stroke: '#dc2626' },
];
const PAGES_PER_TICK = 20; // a tick reads at most this many pages of 1000 events

export function render(main, ctx) {
  const id = ctx.id;
  const withEvents = can(ctx.session, 'events');
  const status = h('div', { 'aria-live': 'polite', class: 'status-line' });
  const head = h('div', { class: 'page-head' }, h('h1', {}, 'Promo ', h('code', {}, id)));
  const facts = h('div', { class: 'card facts' });
  const tiles = h('div', { class: 'tiles', 'aria-live': 'polite' });
  const fanout = h('p', { class: 'fanout', id: 'fanout' });
  const chartBox = h('div', { class: 'chart', id: 'promo-chart', role: 'img', 'aria-label': 'Chart of the promo over time' });
  const recent = h('div', { id: 'promo-events' });
  main.append(h('p', {}, h('a', { href: '#/promos' }, '← Promos')), head, status, tiles, fanout, facts);
  if (withEvents) {
    main.append(h('section', { class: 'card', 'aria-labelledby': 'chart-title' },
      h('h2', { id: 'chart-title' }, 'Over time'),
      h('p', { class: 'hint' }, 'Cumulative counts from the event log: notifications sent for this promo, holds, purchases and expiries.'),
      chartBox),
    h('section', { class: 'card', 'aria-labelledby': 'recent-title' }, h('h2', { id: 'recent-title' }, 'Latest events of the promo'), recent));
  } else {
    main.append(notice('info', 'The chart and the events need the analyst or admin role.'));
  }

  const log = new PromoLog(id);
  const chart = new Chart(chartBox);
  const poller = new Poller(1000, async () => {
    const p = await api.getPromo(id);
    if (withEvents) await log.read();
    showPromo(p, ctx, head, facts, tiles, status, () => poller.tick());
    showFanout(fanout, p, log, withEvents);
    if (withEvents) {
      chart.update(log.series());
      showRecent(recent, log.stream.slice(-15).reverse());
    }
    status.replaceChildren();
  }, (e) => status.replaceChildren(notice('error', e.status === 404 ? `No promo ${id}.` : e.message)));
  poller.start();
  const onResize = () => chart.resize();
  window.addEventListener('resize', onResize);
  return () => {
    poller.stop();
    window.removeEventListener('resize', onResize);
    chart.destroy();
  };
}

function showPromo(p, ctx, head, facts, tiles, status, refresh) {
  const s = ctx.session;
  const mayCancel = s.roles.has('admin') || (s.roles.has('store') && s.storeId === p.store.id);
  replaceKeeping(head,
    h('h1', {}, p.product.name, ' ', badge(p.status)),
    mayCancel ? cancelButton(p, status, refresh) : null);
  const tile = (id, label, value) => h('div', { class: 'tile', id }, h('div', { class: 'tile-value' }, String(value)), h('div', { class: 'tile-label' }, label));
  tiles.replaceChildren(
    tile('stock-available', 'available', p.stock.available),
    tile('stock-held', 'held', p.stock.held),
    tile('stock-sold', 'sold', p.stock.sold),
    tile('stock-total', 'stock', p.stock.total),
    tile('notified', 'notifications sent', p.notifications.sent));
  const dl = [
    ['Promo id', p.id], ['Store', `${p.store.name} (${p.store.id})`], ['Product', `${p.product.name} (${p.product.id})`],
    ['Price', `${money(p.promo_price)} instead of ${money(p.regular_price)}`], ['Segments', p.segments.join(', ')],
    ['Radius', `${p.radius_m} m around ${p.store.location.lat}, ${p.store.location.lng}`],
    ['Window', `${when(p.starts_at)} to ${when(p.ends_at)}`], ['Version', p.version],
  ];
  if (p.series_id) dl.push(['Series', p.series_id]);
  facts.replaceChildren(h('dl', {}, dl.map(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))])));
}

function showFanout(el, p, log, withEvents) {
  const sent = p.notifications.sent;
  let text = `Fan-out: ${sent} notification${sent === 1 ? '' : 's'} sent`;
  if (p.status === 'scheduled') text = `Fan-out: starts when the promo activates (${when(p.starts_at)})`;
  if (withEvents && log.activatedAt && log.notes.length) {
    const lastAt = log.notes[log.notes.length - 1].t;
    const secs = Math.max(0, (lastAt - log.activatedAt) / 1000);
    text += ` · the latest ${secs.toFixed(1)} s after activation`;
  }
  el.textContent = text;
}

function showRecent(el, events) {
  if (!events.length) {
    el.replaceChildren(h('p', { class: 'empty' }, 'No events yet.'));
    return;
  }
  el.replaceChildren(h('ol', { class: 'events-mini' }, events.map((e) => h('li', {},
    h('span', { class: 'pos' }, '#' + e.position), ' ', h('strong', {}, e.type), ' ',
    h('span', { class: 'sub' }, when(e.occurred_at)), e.data.user_id ? h('span', { class: 'sub' }, ' · ' + e.data.user_id) : null))));
}

// PromoLog follows the promo's stream and the NotificationSent events that
// name it, from where it stopped.
class PromoLog {
  constructor(id) {
    this.id = id;
    this.stream = [];
    this.streamAfter = 0;
    this.notes = []; // {t}
    this.notesAfter = -1; // unknown until the promo's first event is read
    this.activatedAt = 0;
  }
  async read() {
    await this.page({ stream: 'promo-' + this.id }, 'streamAfter', (e) => {
      this.stream.push(e);
      if (e.type === 'PromoActivated') this.activatedAt = Date.parse(e.occurred_at);
    });
    if (this.notesAfter < 0) {
      if (!this.stream.length) return;
      this.notesAfter = this.stream[0].position; // nothing names the promo before it was created
    }
    await this.page({ type: 'NotificationSent' }, 'notesAfter', (e) => {
      if (e.data.promo_id === this.id) this.notes.push({ t: Date.parse(e.occurred_at) });
    });
  }
  async page(filter, cursor, each) {
    for (let i = 0; i < PAGES_PER_TICK; i++) {
      const page = await api.readEvents({ ...filter, after: this[cursor], limit: 1000 });
      page.events.forEach(each);
      this[cursor] = page.next_after;
      if (page.events.length < 1000) return;
    }
  }
  // series is uPlot's data: seconds, then a cumulative count per SERIES.
  series() {
    const points = this.notes.map((n) => [n.t, 0]);
    const start = this.activatedAt || (this.stream.length && Date.parse(this.stream[0].occurred_at));
    if (start) points.push([start, -1]); // all zero at activation (or creation, before it)
    for (const e of this.stream) {
      const k = SERIES.findIndex((s) => s.type === e.type);
      if (k > 0) points.push([Date.parse(e.occurred_at), k]);
    }
    points.sort((a, b) => a[0] - b[0]);
    const xs = [];
    const ys = SERIES.map(() => []);
    const counts = SERIES.map(() => 0);
    for (const [t, k] of points) {
      const sec = Math.floor(t / 1000);
      if (k >= 0) counts[k]++;
      if (xs.length && xs[xs.length - 1] === sec) {
        ys.forEach((y, i) => { y[y.length - 1] = counts[i]; });
      } else {
        xs.push(sec);
        ys.forEach((y, i) => y.push(counts[i]));
      }
    }
    return [xs, ...ys];
  }
}

// Chart draws the series with uPlot once there is something to draw.
class Chart {
  constructor(box) {
    this.box = box;
    this.plot = null;
    this.data = null;
  }
  update(data) {
    this.data = data;
    const totals = SERIES.map((s, i) => `${s.label} ${data[i + 1].at(-1) || 0}`).join(', ');
    this.box.setAttribute('aria-label', 'Cumulative counts over time: ' + totals);
    if (!data[0].length) {
      if (!this.plot) this.box.replaceChildren(h('p', { class: 'empty' }, 'Nothing to draw yet.'));
      return;
    }
    if (!window.uPlot) return; // the library loads after the modules on a slow start
    if (!this.plot) {
      this.box.replaceChildren();
      this.plot = new window.uPlot(this.options(), data, this.box);
    } else {
      this.plot.setData(data);
    }
    this.plot.setLegend({ idx: data[0].length - 1 }); // the latest counts until the pointer shows others
  }
  options() {
    return {
      width: this.width(),
      height: 260,
      scales: { x: { time: true } },
      axes: [{}, { label: 'count', size: 60 }],
      series: [{}, ...SERIES.map((s) => ({
        label: s.label, stroke: s.stroke, width: 2, points: { show: false },
        paths: window.uPlot.paths.stepped({ align: 1 }), // a count holds until the next event
      }))],
    };
  }
  width() { return Math.max(260, this.box.clientWidth || 600); }
  resize() { if (this.plot) this.plot.setSize({ width: this.width(), height: 260 }); }
  destroy() { if (this.plot) this.plot.destroy(); }
}
