// The console's REST side: the credential (this tab's sessionStorage only), requests with it as
// a bearer, and errors that say what the server answered.
const KEY = 'switchyard.admin.credential';

export function credential() {
  return sessionStorage.getItem(KEY) || '';
}

export function setCredential(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

/** An answer other than 2xx: `status`, the router's error `code` and message. */
export class ApiError extends Error {
  constructor(method, path, status, code, message) {
    super(`${method} ${path} → ${status}${code ? ' ' + code : ''}${message ? ': ' + message : ''}`);
    this.status = status;
    this.code = code;
  }
}

/** JSON from `path`; throws ApiError (network failures as status 0). */
export async function request(method, path, body) {
  const headers = {};
  const cred = credential();
  if (cred) headers.authorization = 'Bearer ' + cred;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(method, path, 0, 'network', 'the server did not answer');
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { /* not JSON: reported below */ }
  if (!res.ok) {
    const err = json && json.error ? json.error : {};
    throw new ApiError(method, path, res.status, err.code || '', err.message || text.slice(0, 200));
  }
  return json;
}

/** A short-lived admin token for the WebSocket upgrade (POST /admin/token). */
export function consoleToken() {
  return request('POST', '/admin/token');
}

export function listChannels(prefix, after, limit = 50) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (prefix) q.set('prefix', prefix);
  if (after) q.set('after', after);
  return request('GET', '/v1/channels?' + q);
}

export function channelInfo(name) {
  return request('GET', '/v1/channels/' + encodeURIComponent(name));
}

export function history(name, cursor, limit = 20) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return request('GET', '/v1/channels/' + encodeURIComponent(name) + '/events?' + q);
}

export function publish(channel, body) {
  return request('POST', '/v1/channels/' + encodeURIComponent(channel) + '/events', body);
}

export function cluster() {
  return request('GET', '/v1/cluster');
}
