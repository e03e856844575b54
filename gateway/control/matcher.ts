/**
 * Evaluation in memory of a matcher compiled by activities/persistence-query.ts (translateMatcher): for records that
 * are not stored as plain MongoDB fields (patterns and events are kept as JSON text) and for getThreds'
 * `terminatedMatcher`. Only the operators the compiler lets through exist here; MongoDB's semantics otherwise
 * (dotted paths, a field holding an array matches when one element does, `$ne`/`$nin` hold for a missing field).
 */
import type { Doc } from '../../store/persistence-query';
import { TaskError } from '../../store/task-error';
import { ErrorCodes } from '../../patterns/effects';
import { compileRegex } from '../../patterns/regex';

function get(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const seg of path.split('.')) {
    if (Array.isArray(v) && !/^\d+$/.test(seg)) return v.map((x) => get(x, seg)).flat();
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Doc)[seg];
  }
  return v;
}

const isOps = (c: unknown): c is Doc =>
  typeof c === 'object' && c !== null && !Array.isArray(c) && Object.keys(c).some((k) => k.startsWith('$'));

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

/** One value against one operator-free literal or operator object. */
function matchValue(v: unknown, cond: unknown): boolean {
  if (!isOps(cond)) return equal(v, cond) || (Array.isArray(v) && v.some((x) => equal(x, cond)));
  const each = (test: (x: unknown) => boolean) => test(v) || (Array.isArray(v) && v.some(test));
  for (const [op, arg] of Object.entries(cond)) {
    switch (op) {
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const ok = each((x) => {
          const c = compare(x, arg);
          if (c === undefined) return false;
          return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
        });
        if (!ok) return false;
        break;
      }
      case '$ne':
        if (matchValue(v, arg)) return false;
        break;
      case '$in':
        if (!(arg as unknown[]).some((a) => matchValue(v, a))) return false;
        break;
      case '$nin':
        if ((arg as unknown[]).some((a) => matchValue(v, a))) return false;
        break;
      case '$not':
        if (matchValue(v, arg)) return false;
        break;
      case '$regex': {
        let re: { test(input: string): boolean };
        try {
          re = compileRegex(String(arg), 'i');
        } catch (err) {
          throw new TaskError(`$re: ${(err as Error).message}`, ErrorCodes.ARGUMENT_VALIDATION_ERROR);
        }
        if (!each((x) => typeof x === 'string' && re.test(x))) return false;
        break;
      }
      case '$options':
        break;
      default:
        return false; // not produced by the compiler
    }
  }
  return true;
}

export function matches(doc: unknown, filter: Doc): boolean {
  for (const [k, cond] of Object.entries(filter)) {
    if (k === '$or') {
      if (!(cond as Doc[]).some((f) => matches(doc, f))) return false;
    } else if (!matchValue(get(doc, k), cond)) return false;
  }
  return true;
}

/** collector.sort on plain records. */
export function sortBy<T>(docs: T[], sort: [string, 1 | -1][] | undefined): T[] {
  if (!sort?.length) return docs;
  return [...docs].sort((a, b) => {
    for (const [field, dir] of sort) {
      const c = compare(get(a, field), get(b, field)) ?? 0;
      if (c !== 0) return c * dir;
    }
    return 0;
  });
}

/** selector include/exclude on top-level fields (the compiled projection). */
export function project(doc: Doc, projection: Doc | undefined): Doc {
  if (!projection) return doc;
  const include = Object.entries(projection)
    .filter(([, v]) => v === 1)
    .map(([k]) => k);
  if (include.length > 0) {
    const out: Doc = {};
    if (projection._id !== 0 && '_id' in doc) out._id = doc._id;
    for (const k of include) if (k in doc) out[k] = doc[k];
    return out;
  }
  const out = { ...doc };
  for (const [k, v] of Object.entries(projection)) if (v === 0) delete out[k];
  return out;
}
