/**
 * Guards for JSON values that came from outside (request bodies, WebSocket frames, pattern files), run before
 * anything recursive — TypeBox validation, JSON.stringify, the pattern checker, BSON encoding — can overflow the stack
 * on them. The walk itself is iterative, so a value of any depth JSON.parse produced is safe to inspect.
 *
 * Pure; sandbox-safe.
 */
export interface JsonProblem {
  /** JSON pointer of the offending container, string or key. */
  path: string;
  reason: string;
}

export const nestedTooDeep = (maxDepth: number): string => `is nested deeper than ${maxDepth} levels`;

const LONE_SURROGATE = 'contains a lone surrogate (not well-formed Unicode)';

function pointerKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string;
}

function pathOf(frame: Frame | undefined, base: string, extraKey?: string): string {
  const keys: string[] = extraKey === undefined ? [] : [extraKey];
  for (let f = frame; f !== undefined && f.parent !== undefined; f = f.parent) keys.push(f.key);
  const path =
    base +
    keys
      .reverse()
      .map((k) => `/${pointerKey(k)}`)
      .join('');
  return path === '' ? '/' : path;
}

// String.prototype.isWellFormed is ES2024; the lib is ES2022.
const wellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * The first problem of `value`, or null: a container nested deeper than `maxDepth` (the value itself, when it is an
 * object or array, is level 1), or — when `unicode` — a string or key holding a lone surrogate (valid JSON escapes
 * that are not Unicode text; UTF-8 stores, BSON included, cannot keep them).
 */
export function inspectJson(
  value: unknown,
  maxDepth: number,
  opts: { base?: string; unicode?: boolean } = {},
): JsonProblem | null {
  const base = opts.base ?? '';
  const unicode = opts.unicode ?? true;
  const stack: Frame[] = [
    { value, depth: typeof value === 'object' && value !== null ? 1 : 0, parent: undefined, key: '' },
  ];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const v = frame.value;
    if (typeof v === 'string') {
      if (unicode && !wellFormed(v)) return { path: pathOf(frame, base), reason: LONE_SURROGATE };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (frame.depth > maxDepth) return { path: pathOf(frame, base), reason: nestedTooDeep(maxDepth) };
    const depth = frame.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const item: unknown = v[i];
        stack.push({
          value: item,
          depth: typeof item === 'object' && item !== null ? depth : frame.depth,
          parent: frame,
          key: String(i),
        });
      }
      continue;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    for (const [key] of entries) {
      if (unicode && !wellFormed(key)) return { path: pathOf(frame, base, key), reason: LONE_SURROGATE };
    }
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as [string, unknown];
      stack.push({
        value: item,
        depth: typeof item === 'object' && item !== null ? depth : frame.depth,
        parent: frame,
        key,
      });
    }
  }
  return null;
}
