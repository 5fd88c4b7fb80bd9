// The console's one door to the service. Every request goes through `call`
// with a path written out below, so that a test can read each path and
// check it against docs/openapi.yaml; no other module may fetch.

const KEY = 'flashpromo.credential';

let credential = sessionStorage.getItem(KEY) || '';

// ApiError is a refused request: the API's status, code and message.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  // field is the request field the message names ("radius_m: must be ..."),
  // or '' when it names none.
  get field() {
    const m = /^([A-Za-z_][\w.[\]]*):\s/.exec(this.message);
    return m ? m[1] : '';
  }
}

const ROLES = ['client', 'store', 'marketplace', 'analyst', 'admin'];

// decodeJWT reads a JWT's payload without verifying it: the console only
// uses it to choose what to offer; the service decides what is allowed.
function decodeJWT(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(Array.from(atob(b64), (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

// session describes the signed-in caller, or returns null.
export function session() {
  if (!credential) return null;
  const claims = decodeJWT(credential);
  if (!claims) {
    return { operator: true, subject: 'admin-token', roles: new Set(ROLES), storeId: '' };
  }
  const roles = Array.isArray(claims.roles) ? claims.roles : ['client'];
  return {
    operator: false,
    subject: String(claims.sub || ''),
    roles: new Set(roles.filter((r) => ROLES.includes(r))),
    storeId: typeof claims.store_id === 'string' ? claims.store_id : '',
    expires: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
  };
}

export function signIn(token) {
  credential = token.trim();
  sessionStorage.setItem(KEY, credential);
}

export function signOut() {
  credential = '';
  sessionStorage.removeItem(KEY);
}

const listeners = new Set();
// onUnauthorized registers f to run when the service refuses the credential.
export function onUnauthorized(f) { listeners.add(f); }

async function call(method, path, { body, params } = {}) {
  path += query(params);
  const headers = { Authorization: 'Bearer ' + credential, Accept: 'application/json' };
  const init = { method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'the service did not answer');
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (data && data.error) || {};
    const err = new ApiError(res.status, e.code || 'http_' + res.status, e.message || res.statusText);
    if (res.status === 401) listeners.forEach((f) => f(err));
    throw err;
  }
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

const seg = encodeURIComponent;

// The calls, one per operation of docs/openapi.yaml that the console uses.
export const api = {
  listPromos: (status) => call('GET', `/v1/promos`, { params: { status } }),
  getPromo: (id) => call('GET', `/v1/promos/${seg(id)}`),
  createPromo: (body) => call('POST', `/v1/promos`, { body }),
  cancelPromo: (id) => call('POST', `/v1/promos/${seg(id)}/cancel`),
  readEvents: (params) => call('GET', `/v1/events`, { params }),
  listProjections: () => call('GET', `/v1/admin/projections`),
  rebuildProjection: (name) => call('POST', `/v1/admin/projections/${seg(name)}/rebuild`),
  getUser: (id) => call('GET', `/v1/users/${seg(id)}`),
  userPromos: (id) => call('GET', `/v1/users/${seg(id)}/promos`),
  userNotifications: (id) => call('GET', `/v1/users/${seg(id)}/notifications`),
};

// can says whether the caller's roles allow an action, as API.md v1.1's
// table does; what a role may not do is not offered.
export function can(s, action) {
  if (!s) return false;
  const has = (...rs) => rs.some((r) => s.roles.has(r));
  switch (action) {
    case 'promos': return has('admin', 'store');
    case 'events': return has('admin', 'analyst');
    case 'projections': return has('admin', 'analyst');
    case 'rebuild': return has('admin');
    case 'users': return has('admin', 'marketplace', 'client');
    default: return false;
  }
}
