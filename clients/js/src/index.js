// Switchyard JavaScript client: an ES module for browsers and Node >= 18, no dependencies.
export { Client } from './client.js';
export { Subscription } from './subscription.js';
export { Room } from './room.js';
export { backoffDelay } from './backoff.js';
export { applyMergePatch } from './merge_patch.js';
export { tokenExpiry } from './token.js';
