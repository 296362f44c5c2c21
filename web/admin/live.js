// console.stats over the router's own Fabric WebSocket. A browser cannot set Authorization on
// an upgrade, so the token travels as ?token= (PROTOCOL.md): a short-lived one from
// POST /admin/token, never the credential itself. On any close it reconnects with backoff
// (1 s doubling to 30 s, reset once subscribed) and a fresh token; it pings every 30 s so the
// idle timeout never closes a quiet console.
import { consoleToken } from './api.js';

const PING_MS = 30000;

export class LiveStats {
  /**
   * onStats(data): each stats event's data; onState(state, detail): 'connecting' | 'live' |
   * 'offline' | 'denied'; onAuthFailed(error): the credential no longer works.
   */
  constructor({ onStats, onState, onAuthFailed }) {
    this.onStats = onStats;
    this.onState = onState;
    this.onAuthFailed = onAuthFailed;
    this.ws = null;
    this.backoff = 1000;
    this.timer = null;
    this.ping = null;
    this.stopped = true;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.ping);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000);
      this.ws = null;
    }
    this.onState('offline', '');
  }

  async connect() {
    if (this.stopped) return;
    this.onState('connecting', '');
    let token;
    try {
      token = (await consoleToken()).token;
    } catch (e) {
      if (e.status === 401 || e.status === 403) return this.onAuthFailed(e);
      return this.retry(e.message);
    }
    if (this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/realtime?token=${encodeURIComponent(token)}`);
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ op: 'subscribe', topics: ['console.stats'] }));
      clearInterval(this.ping);
      this.ping = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send('{"op":"ping"}');
      }, PING_MS);
    };
    ws.onmessage = (m) => {
      let f;
      try { f = JSON.parse(m.data); } catch (e) { return; }
      if (f.op === 'subscribed' && f.topic === 'console.stats') {
        this.backoff = 1000;
        this.onState('live', '');
      } else if (f.op === 'event' && f.channel === 'console.stats' && f.type === 'stats') {
        this.onStats(f.data, f.timestamp);
      } else if (f.op === 'error') {
        this.onState('denied', `${f.code}: ${f.message}`);
      }
    };
    ws.onclose = (e) => {
      clearInterval(this.ping);
      if (this.ws === ws) this.ws = null;
      this.retry(`WebSocket closed (${e.code}${e.reason ? ' ' + e.reason : ''})`);
    };
  }

  retry(why) {
    if (this.stopped) return;
    this.onState('offline', why);
    const delay = this.backoff * (0.8 + Math.random() * 0.4);
    this.backoff = Math.min(this.backoff * 2, 30000);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
