// A subscription: one topic with its options and callbacks, kept by the client across
// reconnects and handed to the application as its unsubscribe handle.
import { ChannelStream } from './stream.js';

export class Subscription {
  constructor(client, topic, opts) {
    this._client = client;
    this._opts = opts;
    this.stream = new ChannelStream(topic, opts.since);
    this.active = true;
    this._confirmedOnce = false;
  }

  get topic() {
    return this.stream.topic;
  }

  /** Cursor of the last event delivered: what a reconnect resumes from. */
  get cursor() {
    return this.stream.cursor;
  }

  /** Stops the subscription; no event is delivered after this returns. */
  unsubscribe() {
    if (!this.active) return;
    this.active = false;
    this._client._forget(this);
  }

  /** The subscribe frame for the current connection. */
  frame() {
    const f = { op: 'subscribe', topics: [this.topic] };
    if (this._opts.scopes) f.scopes = this._opts.scopes;
    if (this._opts.filter) f.filter = this._opts.filter;
    const since = this.stream.resumeFrom();
    if (since) f.since = { [this.topic]: since };
    this.stream.pending = true;
    this._resuming = Boolean(since);
    this._reconnect = this._confirmedOnce;
    return f;
  }

  onSubscribed(frame) {
    const info = this.stream.confirm(frame, this._resuming);
    // A pattern cannot resume: whatever its channels published while disconnected is lost.
    if (this._reconnect && this.topic.endsWith('*')) info.recovered = false;
    this._confirmedOnce = true;
    call(this._opts.onSubscribed, info);
    if (info.recovered === false) call(this._opts.onGap, info);
  }

  onEvent(frame) {
    if (this.active && this.stream.accept(frame)) call(this._opts.onEvent, frame);
  }

  /** An error frame naming this topic: the server did not subscribe it. */
  onError(frame) {
    this.active = false;
    this._client._forget(this, false);
    call(this._opts.onError, frame);
  }
}

export function call(fn, ...args) {
  if (typeof fn !== 'function') return;
  try {
    fn(...args);
  } catch (e) {
    // An application callback that throws must not break the connection's frame loop.
    setTimeout(() => { throw e; }, 0);
  }
}
