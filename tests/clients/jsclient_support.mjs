// Shared by the JavaScript client tests (jsclient_*.mjs): a daemon that can be killed with
// SIGKILL and started again on the same port and data dir, token minting, a publisher that
// retries through the outage with idempotency keys, bounded waits.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SECRET = 'jsclient-test-secret';
export const API_KEY = 'jsclient-test-key';

export function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

export function deadline(ms) {
  setTimeout(() => fail('did not finish within ' + ms + ' ms'), ms).unref();
}

/** HS256 token signed with the daemon's secret, valid for ttlS seconds. */
export function mintToken(claims, ttlS = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64({ iat: now, exp: now + ttlS, ...claims });
  return head + '.' + crypto.createHmac('sha256', SECRET).update(head).digest('base64url');
}

/**
 * A daemon on an ephemeral loopback port with its own data dir (removed at exit). start()
 * resolves once it listens; kill() is SIGKILL; start() again reuses port and data dir.
 */
export class Daemon {
  constructor(sets = []) {
    this.bin = process.env.SWITCHYARD_BIN;
    if (!this.bin) fail('SWITCHYARD_BIN is not set');
    this.sets = sets;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-jsclient-'));
    this.port = 0;
    this.log = '';
    process.on('exit', () => {
      if (this.child) this.child.kill('SIGKILL');
      fs.rmSync(this.dir, { recursive: true, force: true });
    });
  }

  get base() {
    return `127.0.0.1:${this.port}`;
  }

  start() {
    const args = ['serve', '--listen', this.base];
    for (const s of this.sets) args.push('--set', s);
    const env = {};
    for (const [k, v] of Object.entries(process.env))
      if (!k.startsWith('SWITCHYARD_') && !k.startsWith('REALTIME_')) env[k] = v;
    Object.assign(env, {
      SWITCHYARD_JWT_SECRET: SECRET,
      SWITCHYARD_API_KEY: API_KEY,
      SWITCHYARD_DATA_DIR: path.join(this.dir, 'store'),
    });
    const child = spawn(this.bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    return new Promise((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /switchyard listening on [0-9.]+:(\d+)/.exec(out);
        if (m && !this.ready) {
          this.ready = true;
          this.port = Number(m[1]);
          resolve(this);
        }
      });
      child.stderr.on('data', (d) => { this.log += d; });
      child.on('exit', (code, sig) => {
        if (this.child === child && !this.killing) fail(`daemon exited (${code ?? sig}):\n${this.log}`);
      });
    });
  }

  /** SIGKILL, resolved once the process is gone. */
  kill() {
    const child = this.child;
    this.killing = true;
    return new Promise((resolve) => {
      child.once('exit', () => {
        this.child = null;
        this.ready = false;
        this.killing = false;
        resolve();
      });
      child.kill('SIGKILL');
    });
  }

  /** POST with the API key; null when the daemon cannot be reached. */
  async post(target, body) {
    try {
      const r = await fetch(`http://${this.base}${target}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: await r.json() };
    } catch {
      return null;
    }
  }

  /** Publishes until the daemon acknowledges (201 new, 200 duplicate of a retried key). */
  async publish(channel, n, waitMs = 15000) {
    const t0 = Date.now();
    for (;;) {
      const r = await this.post(`/v1/channels/${channel}/events`,
                                { type: 'tick', data: { n }, idempotencyKey: `${channel}-${n}` });
      if (r && (r.status === 201 || r.status === 200)) return r.body;
      if (r && r.status !== 503) fail(`publish ${n} -> ${r.status} ${JSON.stringify(r.body)}`);
      if (Date.now() - t0 > waitMs) fail(`publish ${n} not acknowledged within ${waitMs} ms`);
      await sleep(50);
    }
  }
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(predicate, what, ms = 10000) {
  const t0 = Date.now();
  for (;;) {
    const v = predicate();
    if (v) return v;
    if (Date.now() - t0 > ms) fail('timed out waiting for ' + what);
    await sleep(20);
  }
}

/** Fails unless `got` is exactly 1..n once each, in order. */
export function checkExactlyOnce(got, n, who) {
  const dups = got.filter((x, i) => got.indexOf(x) !== i);
  const missing = [];
  for (let i = 1; i <= n; i++) if (!got.includes(i)) missing.push(i);
  const inOrder = got.every((x, i) => i === 0 || x > got[i - 1]);
  if (dups.length || missing.length || !inOrder || got.length !== n)
    fail(`${who}: ${got.length} events, missing [${missing}], duplicated [${dups}], in order ${inOrder}: [${got}]`);
}
