// Small helpers the pages share: building elements, formatting values,
// polling while a page is shown.

// h builds an element: h('p', {class: 'x', onclick: f}, 'text', child).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// money formats {amount, currency} in minor units.
export function money(m) {
  if (!m) return '';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currency }).format(m.amount / 100);
  } catch {
    return `${(m.amount / 100).toFixed(2)} ${m.currency}`;
  }
}

export function when(t) {
  if (!t) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function badge(status) {
  return h('span', { class: `badge badge-${status}` }, status);
}

// field is a labelled input with a place for the API's message beside it.
export function field(label, input, hint) {
  const id = input.id || (input.id = 'f-' + Math.random().toString(36).slice(2, 9));
  const msg = h('p', { class: 'field-error', id: id + '-error', role: 'alert', hidden: true });
  input.setAttribute('aria-describedby', msg.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint' }, hint) : null, msg);
}

// showFieldError puts message beside the input and marks it invalid.
export function showFieldError(input, message) {
  const msg = document.getElementById(input.getAttribute('aria-describedby'));
  input.setAttribute('aria-invalid', 'true');
  if (msg) {
    msg.textContent = message;
    msg.hidden = false;
  }
}

export function clearFieldErrors(form) {
  form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  form.querySelectorAll('.field-error').forEach((el) => {
    el.textContent = '';
    el.hidden = true;
  });
}

// replaceKeeping replaces the children of container, and gives the focus
// back to the new element with the data-key of the one that had it, so that
// a page refreshed by a poll does not throw a keyboard user out.
export function replaceKeeping(container, ...nodes) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : undefined;
  container.replaceChildren(...nodes);
  if (key) {
    const el = container.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (el) el.focus();
  }
}

// notice is a message for the whole page (role=status or alert).
export function notice(kind, text) {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

// Poller runs f every ms while the page that made it is shown; the router
// stops it when the page changes. f's errors are shown, not thrown.
export class Poller {
  constructor(ms, f, onError) {
    this.ms = ms;
    this.f = f;
    this.onError = onError;
    this.timer = 0;
    this.stopped = false;
  }
  async tick() {
    if (this.stopped) return;
    try {
      await this.f();
    } catch (e) {
      if (this.onError) this.onError(e);
    }
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.ms);
  }
  start() { this.tick(); return this; }
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
