/** Turning JSONata results into plain JSON, JSONata truthiness, and the `$valueNamed` search. */
import { isRecord } from '../json';

/**
 * Depth-first search of a `content.values` tree for the first non-null value of key `name`: in an object its
 * own key first, then each property value in key order, recursively; arrays element by element (SPEC §4).
 */
export function valueNamed(values: unknown, name: string): unknown {
  if (Array.isArray(values)) {
    for (const item of values) {
      const found = valueNamed(item, name);
      if (found !== undefined && found !== null) return found;
    }
    return undefined;
  }
  if (!isRecord(values)) return undefined;
  const own = values[name];
  if (own !== undefined && own !== null) return own;
  for (const key of Object.keys(values)) {
    const found = valueNamed(values[key], name);
    if (found !== undefined && found !== null) return found;
  }
  return undefined;
}

/** Deepest result structure accepted (guards against cyclic or pathological values). */
const MAX_RESULT_DEPTH = 200;

function isJsonataCallable(value: object): boolean {
  const v = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
  return v._jsonata_function === true || v._jsonata_lambda === true;
}

/**
 * Converts a JSONata result to plain JSON: sequences become arrays, functions and lambdas and undefined
 * disappear, non-finite numbers become null. Copies, so results never alias the event or locals they came
 * from. Throws on structures deeper than MAX_RESULT_DEPTH (cycles included).
 */
export function toJson(value: unknown, depth = 0): unknown {
  if (depth > MAX_RESULT_DEPTH)
    throw { code: 'THREDS_DEPTH', message: `result nested deeper than ${MAX_RESULT_DEPTH} levels` };
  if (value === undefined || typeof value === 'function') return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      const v = toJson(item, depth + 1);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  if (typeof value === 'object') {
    if (isJsonataCallable(value)) return undefined;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = toJson((value as Record<string, unknown>)[key], depth + 1);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  return undefined;
}

/** JSONata truthiness (as `$boolean`): empty strings/arrays/objects, 0, null, functions are false. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) {
    if (value.length === 1) return truthy(value[0]);
    return value.some(truthy);
  }
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'string':
      return value.length > 0;
    case 'object':
      if (isJsonataCallable(value as object)) return false;
      return Object.keys(value).length > 0;
    default:
      return false;
  }
}
