// A joined room (PROTOCOL.md "Rooms"): members (presence), metadata and the versioned state,
// kept current from the server's frames, plus the room's channel `room.R` followed like a
// subscription. After a reconnect the client joins again, resuming `room.R` from its cursor; the
// new `joined` snapshot replaces members, state and metadata.
import { ChannelStream } from './stream.js';
import { applyMergePatch } from './merge_patch.js';
import { call } from './subscription.js';

export class Room {
  constructor(client, name, opts) {
    this._client = client;
    this._opts = opts;
    this.name = name;
    this.stream = new ChannelStream('room.' + name, opts.since);
    this.active = true;
    /** This connection's member id (changes when the client joins again after a reconnect). */
    this.member = null;
    /** member id -> {member, user, info, joinedAt} */
    this.members = new Map();
    this.metadata = {};
    this.state = {};
    this.version = 0;
    this._info = opts.info ?? {};
    this._patches = []; // {resolve, reject} of state patches awaiting their frame, in order
    this._joins = 0;
    this.ready = new Promise((resolve, reject) => {
      this._ready = { resolve, reject };
    });
    this.ready.catch(() => {}); // a failed join is reported through onError as well
  }

  /** Replaces this member's public info; the other members get it as a presence update. */
  setInfo(info) {
    this._info = info;
    this._client._send({ op: 'presence', room: this.name, info });
  }

  /**
   * Applies a JSON Merge Patch to the room state if it is still at `version` (default: the
   * version this client knows). Resolves with the new version; rejects with the error frame
   * (`version_conflict` carries the current `version`).
   */
  patchState(patch, version = this.version) {
    return new Promise((resolve, reject) => {
      if (!this._client._send({ op: 'state', room: this.name, patch, version }))
        return reject(new Error('not connected'));
      this._patches.push({ resolve, reject });
    });
  }

  /** Publishes into `room.R`; `volatile: true` reaches the other members only, unstored. */
  publish(type, data, { volatile = false } = {}) {
    return this._client._send({ op: 'publish', room: this.name, type, data, volatile });
  }

  leave() {
    if (!this.active) return;
    this.active = false;
    this._failPatches(new Error('left the room'));
    this._client._forgetRoom(this);
  }

  frame() {
    const f = { op: 'join', room: this.name, info: this._info };
    const since = this.stream.resumeFrom();
    if (since) f.since = since;
    this.stream.pending = true;
    this._resuming = Boolean(since);
    this.member = null;
    return f;
  }

  onJoined(frame) {
    this.member = frame.member;
    this.members = new Map(frame.members.map((m) => [m.member, m]));
    this.metadata = frame.metadata ?? {};
    this.state = frame.state ?? {};
    this.version = frame.version ?? 0;
    const rejoined = this._joins++ > 0;
    this._ready.resolve(this);
    call(this._opts.onJoined, { room: this, rejoined });
  }

  onSubscribed(frame) {
    const info = this.stream.confirm(frame, this._resuming);
    call(this._opts.onSubscribed, info);
    if (info.recovered === false) call(this._opts.onGap, info);
  }

  onEvent(frame) {
    if (this.active && this.stream.accept(frame)) call(this._opts.onEvent, frame);
  }

  onPresence(frame) {
    for (const m of frame.joins ?? []) this.members.set(m.member, m);
    for (const id of frame.leaves ?? []) this.members.delete(id);
    for (const u of frame.updates ?? []) {
      const m = this.members.get(u.member);
      if (m) this.members.set(u.member, { ...m, info: u.info });
    }
    call(this._opts.onPresence, frame);
  }

  onState(frame) {
    this.state = applyMergePatch(this.state, frame.patch);
    this.version = frame.version;
    if (frame.member !== null && frame.member === this.member && this._patches.length)
      this._patches.shift().resolve(frame.version);
    call(this._opts.onState, frame);
  }

  onMetadata(frame) {
    this.metadata = frame.metadata;
    call(this._opts.onMetadata, frame);
  }

  onError(frame) {
    if (this.member === null) {
      // Refused before `joined`: the room is not joined and is not joined again on reconnect.
      this.active = false;
      this._client._forgetRoom(this, false);
      this._ready.reject(Object.assign(new Error(frame.code), { frame }));
    } else if (this._patches.length && ['version_conflict', 'state_too_large', 'scope_denied'].includes(frame.code)) {
      if (frame.code === 'version_conflict' && typeof frame.version === 'number') this.version = frame.version;
      this._patches.shift().reject(Object.assign(new Error(frame.code), { frame }));
    }
    call(this._opts.onError, frame);
  }

  /** The connection dropped: patches in flight have no answer coming. */
  onDisconnect() {
    this._failPatches(new Error('disconnected'));
  }

  _failPatches(err) {
    for (const p of this._patches.splice(0)) p.reject(err);
  }
}
