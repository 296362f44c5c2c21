// Token handling without a JWT library: the client only needs a token's `exp` to know when to
// ask the provider for the next one; the server verifies the signature.

/** The `exp` claim (seconds since the epoch) of a JWT, or null when it has none or is no JWT. */
export function tokenExpiry(token) {
  try {
    const part = String(token).split('.')[1];
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((part.length + 3) % 4);
    const claims = JSON.parse(atob(b64));
    return typeof claims.exp === 'number' ? claims.exp : null;
  } catch {
    return null;
  }
}

/**
 * Milliseconds from `nowMs` until a token expiring at `expS` should be replaced: 30 s before
 * its expiry, or halfway through what is left for a shorter-lived token (never negative).
 */
export function refreshDelayMs(expS, nowMs = Date.now()) {
  const leftMs = expS * 1000 - nowMs;
  return Math.max(0, leftMs - Math.min(30000, leftMs / 2));
}
