// JSON Merge Patch (RFC 7386), how room state frames change a room's state document.

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The result of applying `patch` to `target` (neither argument is modified). */
export function applyMergePatch(target, patch) {
  if (!isObject(patch)) return patch;
  const out = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}
