// The Switchyard Fabric client: one WebSocket to `/realtime`, kept open across drops and
// restarts. Subscriptions and rooms live in the client, not in the socket: every (re)connect
// subscribes each topic again from the cursor of the last event the application got, so the
// application sees every event once, in order, and is told (`recovered:false`) when the
// server's history no longer covers a gap.
import { backoffDelay } from './backoff.js';
import { tokenExpiry, refreshDelayMs } from './token.js';
import { Subscription, call } from './subscription.js';
import { Room } from './room.js';

const OPEN = 1;

export class Client {
  /**
   * @param {object} o
   * @param {string} o.url `ws://host:port/realtime` (`wss://` with TLS); a bare origin gets `/realtime`
   * @param {string|function(): (string|Promise<string>)} o.token a JWT, or a provider called for
   *   the first connect, after a close 4001, when the token is about to expire (then sent in-band
   *   with `refresh`), and before a reconnect when the last attempt never opened
   * @param {Function} [o.WebSocket] a WebSocket constructor (Node < 22: the npm `ws` package);
   *   default the global one
   * @param {{initialMs?: number, maxMs?: number}} [o.backoff] reconnect delays (1 s to 30 s)
   * @param {number} [o.pingIntervalMs] keeps the connection inside the server's idle timeout
   *   (120 s) and finds dead ones: nothing received for two intervals drops the socket
   */
  constructor({ url, token, WebSocket: WS, backoff = {}, pingIntervalMs = 25000 } = {}) {
    if (!url) throw new TypeError('url is required');
    if (token === undefined) throw new TypeError('token (a JWT or an async provider) is required');
    this._WS = WS ?? globalThis.WebSocket;
    if (typeof this._WS !== 'function')
      throw new TypeError('no global WebSocket: pass one, e.g. new Client({url, token, WebSocket}) with the npm ws package');
    const u = new URL(url);
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/realtime';
    this._url = u;
    this._tokenOption = token;
    this._token = typeof token === 'string' ? token : null;
    this._backoff = backoff;
    this._pingMs = pingIntervalMs;
    this._subs = new Map(); // topic -> Subscription
    this._rooms = new Map(); // 'room.' + name -> Room
    this._listeners = new Map();
    this._ws = null;
    this._attempt = 0;
    this._stopped = true;
    this._needToken = true;
    this._timers = new Set();
    this._generation = 0; // bumped by close(): an _open() still awaiting its token gives up
    this.state = 'closed';
  }

  /** Opens the connection (and keeps it open until close()). Subscribing also does this. */
  connect() {
    if (!this._stopped) return this;
    this._stopped = false;
    this._open();
    return this;
  }

  /** Closes the connection for good: no reconnect; subscriptions stay for a later connect(). */
  close() {
    this._stopped = true;
    this._generation++;
    this._clearTimers();
    const ws = this._ws;
    this._ws = null;
    if (ws) {
      detach(ws);
      try { ws.close(1000); } catch { /* already closing */ }
    }
    for (const room of this._rooms.values()) room.onDisconnect();
    this._setState('closed');
  }

  /**
   * Follows a topic (a channel, or a `prefix*` pattern). Options: `since` (resume after a
   * cursor), `scopes`, `filter` (FILTERS.md), and callbacks `onEvent(event)`,
   * `onSubscribed({topic, cursor, replay, recovered, resumed})`, `onGap(info)` (history did not
   * cover a gap: `recovered:false`), `onError(errorFrame)` (the server refused the topic).
   * Returns the handle: `unsubscribe()`, `cursor`.
   */
  subscribe(topic, opts = {}) {
    if (this._subs.has(topic)) throw new Error('already subscribed: ' + topic);
    const sub = new Subscription(this, topic, opts);
    this._subs.set(topic, sub);
    if (this._isOpen()) this._send(sub.frame());
    this.connect();
    return sub;
  }

  /**
   * Joins room `name`. Options: `info` (this member's public object), `since` (cursor of
   * `room.R`), callbacks `onJoined({room, rejoined})`, `onPresence(diff)`, `onState(frame)`,
   * `onMetadata(frame)`, `onEvent(event)`, `onGap(info)`, `onError(errorFrame)`. The Room keeps
   * `members`, `state`, `version`, `metadata`; `room.ready` resolves at the first `joined`.
   */
  join(name, opts = {}) {
    const key = 'room.' + name;
    if (this._rooms.has(key)) throw new Error('already joined: ' + name);
    const room = new Room(this, name, opts);
    this._rooms.set(key, room);
    if (this._isOpen()) this._send(room.frame());
    this.connect();
    return room;
  }

  /** Listens to 'state' (connecting/open/closed), 'open', 'close' ({code, reason, delayMs}),
   * 'refreshed' ({expiresAt}), 'error' (Error or an error frame). Returns the remover. */
  on(name, fn) {
    if (!this._listeners.has(name)) this._listeners.set(name, new Set());
    this._listeners.get(name).add(fn);
    return () => this._listeners.get(name).delete(fn);
  }

  // -- connection --

  async _open() {
    const generation = this._generation;
    this._setState('connecting');
    let token;
    try {
      token = await this._currentToken();
    } catch (e) {
      if (generation !== this._generation) return;
      this._emit('error', e);
      return this._retry({ code: 0, reason: 'token provider failed' });
    }
    if (generation !== this._generation) return;
    const url = new URL(this._url);
    url.searchParams.set('token', token);
    let ws;
    try {
      ws = new this._WS(url.toString());
    } catch (e) {
      this._emit('error', e);
      return this._retry({ code: 0, reason: String(e && e.message) });
    }
    this._ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this._attempt = 0;
      this._needToken = false;
      this._lastFrameAt = Date.now();
      this._setState('open');
      for (const sub of this._subs.values()) this._send(sub.frame());
      for (const room of this._rooms.values()) this._send(room.frame());
      this._schedulePing();
      this._scheduleRefresh(tokenExpiry(token));
      this._emit('open');
    };
    ws.onmessage = (e) => this._onMessage(e.data);
    ws.onerror = () => {}; // the close event follows and decides
    ws.onclose = (e) => {
      if (ws !== this._ws) return;
      this._ws = null;
      // A handshake that never opened may be a refused token (a browser cannot see the 401).
      if (!opened || e.code === 4001) this._needToken = true;
      this._retry({ code: e.code, reason: e.reason });
    };
  }

  async _currentToken() {
    if (typeof this._tokenOption === 'string') return this._tokenOption;
    const exp = this._token && tokenExpiry(this._token);
    if (this._needToken || !this._token || (exp !== null && refreshDelayMs(exp) === 0))
      this._token = await this._tokenOption();
    return this._token;
  }

  _retry(why) {
    this._clearTimers();
    for (const room of this._rooms.values()) room.onDisconnect();
    if (this._stopped) return this._setState('closed');
    const delayMs = backoffDelay(this._attempt++, this._backoff);
    this._setState('connecting');
    this._emit('close', { ...why, delayMs });
    this._timer(() => this._open(), delayMs);
  }

  _schedulePing() {
    this._timer(() => {
      const ws = this._ws;
      if (!ws || ws.readyState !== OPEN) return;
      if (Date.now() - this._lastFrameAt > 2 * this._pingMs) {
        // Nothing came back for two intervals: the peer is gone without a close (half-open
        // TCP). Waiting for the browser's own close could take minutes; drop it now.
        detach(ws);
        try { ws.close(4000, 'no traffic'); } catch { /* closing anyway */ }
        this._ws = null;
        return this._retry({ code: 4000, reason: 'no traffic' });
      }
      this._send({ op: 'ping' });
      this._schedulePing();
    }, this._pingMs);
  }

  _scheduleRefresh(expS) {
    if (typeof this._tokenOption !== 'function' || expS === null) return;
    clearTimeout(this._refreshTimer);
    this._timers.delete(this._refreshTimer);
    this._refreshTimer = this._timer(async () => {
      let token;
      try {
        token = await this._tokenOption();
      } catch (e) {
        return this._emit('error', e); // the server closes with 4001 at expiry; then retried
      }
      this._token = token;
      this._send({ op: 'refresh', token });
    }, refreshDelayMs(expS));
  }

  // -- frames --

  _onMessage(data) {
    this._lastFrameAt = Date.now();
    let f;
    try {
      f = JSON.parse(String(data));
    } catch {
      return this._emit('error', new Error('frame is not JSON'));
    }
    const room = f.room !== undefined ? this._rooms.get('room.' + f.room) : undefined;
    switch (f.op) {
      case 'event': return this._route(f.topic, (t) => t.onEvent(f));
      case 'subscribed': return this._route(f.topic, (t) => t.onSubscribed(f));
      case 'joined': return room && room.onJoined(f);
      case 'presence': return room && room.onPresence(f);
      case 'state': return room && room.onState(f);
      case 'metadata': return room && room.onMetadata(f);
      case 'refreshed':
        this._emit('refreshed', { expiresAt: f.expiresAt });
        return this._scheduleRefresh(f.expiresAt ? Date.parse(f.expiresAt) / 1000 : null);
      case 'error':
        if (room) return room.onError(f);
        if (f.topic !== undefined && this._subs.has(f.topic)) return this._subs.get(f.topic).onError(f);
        return this._emit('error', f);
      default: // heartbeat, pong, unsubscribed, left
    }
  }

  /** Hands a frame of a channel to its room or subscription (a pattern's when none is exact). */
  _route(topic, fn) {
    const target = this._rooms.get(topic) ?? this._subs.get(topic) ?? this._patternFor(topic);
    if (target) fn(target);
  }

  _patternFor(channel) {
    for (const [topic, sub] of this._subs)
      if (topic.endsWith('*') && channel.startsWith(topic.slice(0, -1))) return sub;
    return undefined;
  }

  _send(frame) {
    const ws = this._ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  _forget(sub, tellServer = true) {
    if (this._subs.get(sub.topic) !== sub) return;
    this._subs.delete(sub.topic);
    if (tellServer) this._send({ op: 'unsubscribe', topics: [sub.topic] });
  }

  _forgetRoom(room, tellServer = true) {
    if (this._rooms.get(room.stream.topic) !== room) return;
    this._rooms.delete(room.stream.topic);
    if (tellServer) this._send({ op: 'leave', room: room.name });
  }

  // -- helpers --

  _isOpen() {
    return Boolean(this._ws && this._ws.readyState === OPEN);
  }

  _setState(s) {
    if (this.state === s) return;
    this.state = s;
    this._emit('state', s);
  }

  _emit(name, arg) {
    for (const fn of this._listeners.get(name) ?? []) call(fn, arg);
  }

  _timer(fn, ms) {
    const t = setTimeout(() => {
      this._timers.delete(t);
      fn();
    }, ms);
    this._timers.add(t);
    return t;
  }

  _clearTimers() {
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
  }
}

function detach(ws) {
  ws.onopen = ws.onmessage = ws.onclose = null;
  ws.onerror = () => {};
}
