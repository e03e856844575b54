/**
 * Per-pattern runtime data: the normalized pattern, a reaction index and the expression compile cache.
 * Memoized in a WeakMap keyed by the caller's pattern object, so a pattern snapshot is normalized and its
 * expressions compiled once however many events it sees. Pure memoization (deterministic).
 */
import { ExpressionCache } from './expressions';
import type { Pattern, Reaction } from './model';
import { normalizePattern } from './normalize';

export type NamedReaction = Reaction & { name: string };

export interface PatternRuntime {
  pattern: Pattern & { id: string };
  reactions: NamedReaction[];
  indexOf: Map<string, number>;
  cache: ExpressionCache;
}

const runtimes = new WeakMap<object, PatternRuntime>();

/** Returns (and memoizes) the runtime view of `pattern`; accepts raw (alias-using) pattern files too. */
export function runtimeOf(pattern: Pattern): PatternRuntime {
  let rt = runtimes.get(pattern);
  if (rt === undefined) {
    const normalized = normalizePattern(pattern) as Pattern & { id: string };
    const reactions = normalized.reactions as NamedReaction[];
    const indexOf = new Map<string, number>();
    reactions.forEach((r, i) => {
      if (!indexOf.has(r.name)) indexOf.set(r.name, i);
    });
    rt = { pattern: normalized, reactions, indexOf, cache: new ExpressionCache() };
    runtimes.set(pattern, rt);
  }
  return rt;
}

/** The reaction named `name`, or undefined. */
export function reactionNamed(rt: PatternRuntime, name: string | null): NamedReaction | undefined {
  if (name === null) return undefined;
  const i = rt.indexOf.get(name);
  return i === undefined ? undefined : rt.reactions[i];
}
