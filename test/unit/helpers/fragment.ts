/**
 * Deep-partial matching for scenario expectations: every key in the expected fragment must match;
 * arrays match element-wise with equal length; `"$absent"` requires the key to be missing; an object
 * with `"$exact": true` must have exactly the listed keys; `{ "$contains": "text" }` matches strings containing it.
 */
export function mismatch(actual: unknown, expected: unknown, path = ''): string | null {
  if (expected === '$absent')
    return actual === undefined ? null : `${path || '/'}: expected absent, got ${JSON.stringify(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path || '/'}: expected array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) {
      return `${path || '/'}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`;
    }
    for (const [i, item] of expected.entries()) {
      const m = mismatch(actual[i], item, `${path}/${i}`);
      if (m !== null) return m;
    }
    return null;
  }
  if (typeof expected === 'object' && expected !== null) {
    const exp = expected as Record<string, unknown>;
    if (typeof exp.$contains === 'string') {
      return typeof actual === 'string' && actual.includes(exp.$contains)
        ? null
        : `${path || '/'}: expected a string containing ${JSON.stringify(exp.$contains)}, got ${JSON.stringify(actual)}`;
    }
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      return `${path || '/'}: expected object, got ${JSON.stringify(actual)}`;
    }
    const act = actual as Record<string, unknown>;
    for (const [key, value] of Object.entries(exp)) {
      if (key === '$exact') continue;
      const m = mismatch(act[key], value, `${path}/${key}`);
      if (m !== null) return m;
    }
    if (exp.$exact === true) {
      const extra = Object.keys(act).filter((k) => act[k] !== undefined && !(k in exp));
      if (extra.length > 0) return `${path || '/'}: unexpected keys ${extra.join(', ')}`;
    }
    return null;
  }
  return Object.is(actual, expected)
    ? null
    : `${path || '/'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
