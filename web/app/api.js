// SPDX-License-Identifier: AGPL-3.0-or-later
// api: the one client of /api/v1. The bearer token lives in this
// module's variable and nowhere else (no storage, no cookie): a reload
// forgets it, which means logging in again. Errors come back as
// ApiError with the problem type's slug, never as raw JSON to show.

const BASE = '/api/v1';
const PROBLEM_PREFIX = 'urn:corridor:problem:';

let token = null;
let lastRequestAt = 0;
let hooks = { unauthorized: null, reauth: null, activity: null };

export class ApiError extends Error {
  constructor(status, type, retryAfter) {
    super(`${status} ${type}`);
    this.status = status;
    this.type = type;             // slug, e.g. "not-found"
    this.retryAfter = retryAfter; // seconds or null
  }
}

export function setHooks(h) { hooks = { ...hooks, ...h }; }
export function setToken(t) { token = t; lastRequestAt = Date.now(); }
export function hasToken() { return token !== null; }
export function clearToken() { token = null; lastRequestAt = 0; }
/** When the server last saw this session (its idle clock restarts then). */
export function lastRequest() { return lastRequestAt; }

/**
 * Encode a header value so that non-ASCII text (a Russian reason) reaches
 * the server as UTF-8 bytes: fetch takes header values as byte strings.
 */
export function headerValue(text) {
  const bytes = new TextEncoder().encode(text);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

async function problemOf(res) {
  let type = `status-${res.status}`;
  try {
    const ct = res.headers.get('Content-Type') || '';
    if (ct.startsWith('application/problem+json')) {
      const p = await res.json();
      if (p && typeof p.type === 'string') {
        type = p.type.startsWith(PROBLEM_PREFIX) ? p.type.slice(PROBLEM_PREFIX.length) : p.type;
      }
    }
  } catch (e) { /* unreadable body: keep the status */ }
  const ra = parseInt(res.headers.get('Retry-After') || '', 10);
  return new ApiError(res.status, type, Number.isFinite(ra) ? ra : null);
}

/**
 * Call the API. opts: {body (JSON), raw (a Blob or File sent as it is,
 * with contentType: the browser streams it from disk), headers, as:
 * 'json'|'text'|'blob'|'response', anonymous (no token, no session
 * handling)}. Resolves to the parsed body (null for 204); rejects with
 * ApiError.
 */
export async function api(method, path, opts = {}) {
  const attempt = async () => {
    const headers = { ...(opts.headers || {}) };
    if (!opts.anonymous) {
      if (token === null) throw new ApiError(401, 'no-session', null);
      headers.Authorization = `Bearer ${token}`;
    }
    let body;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    } else if (opts.raw !== undefined) {
      headers['Content-Type'] = opts.contentType;
      body = opts.raw;
    }
    const sentWith = token;
    let res;
    try {
      res = await fetch(BASE + path, {
        method, headers, body, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer',
      });
    } catch (e) {
      throw new ApiError(0, 'network', null);
    }
    // a wipe while the request was in flight: drop whatever came back
    if (!opts.anonymous && (token === null || token !== sentWith)) throw new ApiError(401, 'no-session', null);
    if (!opts.anonymous) lastRequestAt = Date.now();
    if (!res.ok) throw await problemOf(res);
    if (opts.as === 'response') return res;
    if (res.status === 204) return null;
    if (opts.as === 'text') return res.text();
    if (opts.as === 'blob') return res.blob();
    return res.json();
  };
  try {
    return await attempt();
  } catch (e) {
    if (!(e instanceof ApiError) || opts.anonymous) throw e;
    if (e.status === 401 && e.type !== 'no-session' && hooks.unauthorized) {
      hooks.unauthorized();
      throw e;
    }
    // seizure-keys: org-key operations ask for a fresh password first
    if (e.status === 403 && /reauth-required$/.test(e.type) && hooks.reauth && !opts.noReauth) {
      // the hook is told which request asked, to say what the password is for
      if (await hooks.reauth({ method, path })) return attempt();
    }
    throw e;
  }
}

/** POST /session/confirm with the password (204; good for five minutes). */
export function confirmPassword(password) {
  return api('POST', '/session/confirm', { body: { password }, noReauth: true });
}

/**
 * End the session on the server without waiting (panic, idle lock):
 * keepalive lets the request outlive the page's state.
 */
export function endSessionNow() {
  const t = token;
  clearToken();
  if (t === null) return;
  try {
    fetch(`${BASE}/session`, {
      method: 'DELETE', headers: { Authorization: `Bearer ${t}` }, keepalive: true,
      credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer',
    }).catch(() => {});
  } catch (e) { /* nothing to do: the server's idle timeout ends it */ }
}

/** Login: returns {session, idleSeconds} using the server's own clock. */
export async function login(username, password, code, client) {
  const body = { username, password };
  // the second factor, only when typed: an account without two-factor
  // login ignores it, one with it refuses a login without it (the same 401)
  if (code) body.code = code;
  if (client) body.client = client; // the user's own label for this device, shown in their session list
  const res = await api('POST', '/session', { body, anonymous: true, as: 'response' });
  const session = await res.json();
  let idle = null;
  const date = Date.parse(res.headers.get('Date') || '');
  const exp = Date.parse(session.expires_at);
  if (Number.isFinite(date) && Number.isFinite(exp) && exp > date) idle = Math.round((exp - date) / 1000);
  return { session, idleSeconds: idle };
}

/** Page through a list endpoint (limit/after) collecting key's items, at most max. */
export async function listAll(path, key, max = 5000, headers) {
  const out = [];
  let after = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const q = after ? `${sep}limit=500&after=${encodeURIComponent(after)}` : `${sep}limit=500`;
    const page = await api('GET', path + q, { headers });
    out.push(...page[key]);
    if (!page.next || out.length >= max) return out;
    after = page.next;
  }
}
