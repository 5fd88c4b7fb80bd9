// Projections: each read model's position, lag and status; an admin may
// rebuild one (or all) and watch it catch up and return to live.
import { api, can } from './api.js';
import { badge, h, notice, Poller, replaceKeeping } from './ui.js';

export function render(main, ctx) {
  const mayRebuild = can(ctx.session, 'rebuild');
  const status = h('div', { 'aria-live': 'polite', class: 'status-line', id: 'proj-status' });
  const list = h('div', { id: 'proj-list' });
  const rebuild = async (name) => {
    try {
      await api.rebuildProjection(name);
      status.replaceChildren(notice('ok', `Rebuild of ${name} started.`));
    } catch (e) {
      status.replaceChildren(notice('error', e.message));
    }
    clearTimeout(poller.timer);
    poller.tick();
  };
  const poller = new Poller(1000, async () => {
    const { projections } = await api.listProjections();
    replaceKeeping(list, projectionTable(projections, mayRebuild ? rebuild : null));
  }, (e) => status.replaceChildren(notice('error', e.message)));

  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Projections'),
      mayRebuild ? h('button', { type: 'button', id: 'rebuild-all', onclick: () => rebuild('all') }, 'Rebuild all') : null),
    h('p', { class: 'hint' }, 'The read models are built in memory from the event log. A rebuild replays the log into a new copy; queries answer from the old one until it has caught up.'),
    status, list);
  poller.start();
  return () => poller.stop();
}

function projectionTable(projections, rebuild) {
  const rows = projections.map((p) => {
    const total = p.position + p.lag;
    const pct = total ? Math.floor((100 * p.position) / total) : 100;
    return h('tr', { 'data-projection': p.name },
      h('th', { scope: 'row' }, p.name),
      h('td', { class: 'num', 'data-label': 'Position' }, String(p.position)),
      h('td', { class: 'num', 'data-label': 'Lag' }, String(p.lag)),
      h('td', { 'data-label': 'Status' }, badge(p.status)),
      h('td', { 'data-label': 'Caught up' }, h('progress', { max: 100, value: pct, 'aria-label': `${p.name} caught up ${pct}%` }), ` ${pct}%`),
      rebuild ? h('td', {}, h('button', {
        type: 'button', 'aria-label': `Rebuild ${p.name}`, 'data-key': 'rebuild-' + p.name, disabled: p.status === 'rebuilding', onclick: () => rebuild(p.name),
      }, 'Rebuild')) : null);
  });
  const headers = ['Projection', 'Position', 'Lag', 'Status', 'Caught up'].concat(rebuild ? [''] : []);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
    h('caption', { class: 'visually-hidden' }, 'Projections, refreshed every second'),
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows)));
}
