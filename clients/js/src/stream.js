// What the client remembers about one channel it follows (a subscribed topic or a joined room's
// `room.R`): the cursor to resume from after a reconnect, and the last seq handed to the
// application, so that nothing is handed over twice.

export class ChannelStream {
  constructor(topic, since) {
    this.topic = topic;
    /** Cursor of the last event handed to the application (or the head at confirmation). */
    this.cursor = since ?? null;
    this.lastSeq = 0;
    /** True between sending a subscribe/join and its confirmation: events are not ours yet. */
    this.pending = true;
  }

  /** The `since` to send: the cursor once the stream has one (patterns never resume). */
  resumeFrom() {
    return this.topic.endsWith('*') ? null : this.cursor;
  }

  /**
   * A `subscribed` frame. Returns what the application is told: `{topic, cursor, replay,
   * recovered, resumed}` (`recovered` is null when nothing was resumed).
   */
  confirm(frame, resumed) {
    this.pending = false;
    const recovered = frame.recovered ?? null;
    // Another incarnation of the channel (or a gap) restarts the seqs the replay carries.
    if (recovered === false || !resumed) this.lastSeq = 0;
    // With no replay to follow, the head is where this stream stands; otherwise the replayed
    // events move the cursor one by one, so a drop in the middle of a replay resumes there.
    if (frame.replay === 0 && frame.cursor) this.cursor = frame.cursor;
    return { topic: this.topic, cursor: frame.cursor, replay: frame.replay, recovered, resumed };
  }

  /** An `event` frame: true when it is new for the application (and the cursor moves on). */
  accept(frame) {
    if (this.pending) return false; // left over from an earlier subscription of the topic
    if (typeof frame.seq !== 'number') return true; // a volatile room event: no seq, no cursor
    if (this.topic.endsWith('*')) return true; // events of many channels: no single seq order
    if (frame.seq <= this.lastSeq) return false;
    this.lastSeq = frame.seq;
    this.cursor = frame.id;
    return true;
  }
}
