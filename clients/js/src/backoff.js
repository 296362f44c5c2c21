// Reconnection delays: exponential from `initialMs` to `maxMs`, each one randomised between half
// and all of its step, so that clients dropped together by a restart do not come back together.

/** Delay in ms before reconnection attempt `attempt` (0 = the first after a drop). */
export function backoffDelay(attempt, { initialMs = 1000, maxMs = 30000 } = {}, random = Math.random) {
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + (random() * step) / 2);
}
