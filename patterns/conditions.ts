/**
 * Condition trees (SPEC §4 "Conditions"): filter / and / or, in two modes.
 * - `apply`: normal processing. `onTrue` runs when its node is true; satisfied `and` operands are recorded
 *   in `andState` (keyed by JSON path, so sibling nested `and`s never share a key) and accumulate across events.
 * - `test`: side-effect-free start/acceptance test. No `onTrue`; `and` and `or` are true when any
 *   not-yet-satisfied operand tests true.
 * Deterministic; the only mutation is of the `andState` object passed in (apply mode).
 */
import { truthy } from './expressions';
import { ThredError } from './errors';
import type { Condition, Publish, Spawn, Transform, Transition } from './model';

/** What a matched condition asks for, with the JSON path (relative to the reaction) each directive came from. */
export interface Directives {
  transform?: Transform;
  publish?: Publish;
  transition?: Transition;
  spawn?: Spawn;
  at: { transform?: string; publish?: string; transition?: string; spawn?: string };
}

export interface ConditionEnv {
  mode: 'apply' | 'test';
  /** Evaluates an expression; `where` is its JSON path in the reaction (for error messages). */
  run: (source: string, where: string) => unknown;
  andState: Record<string, true>;
}

function directivesOf(node: Condition, path: string): Directives {
  const d: Directives = { at: {} };
  for (const key of ['transform', 'publish', 'transition', 'spawn'] as const) {
    if (node[key] === undefined) continue;
    Object.assign(d, { [key]: node[key] });
    d.at[key] = `${path}/${key}`;
  }
  return d;
}

/** or-node's directives overridden field by field by the matching operand's. */
function override(base: Directives, winner: Directives): Directives {
  const { at: baseAt, ...baseFields } = base;
  const { at: winnerAt, ...winnerFields } = winner;
  return { ...baseFields, ...winnerFields, at: { ...baseAt, ...winnerAt } };
}

function runOnTrue(node: Condition, path: string, env: ConditionEnv): void {
  if (env.mode === 'apply' && node.onTrue?.xpr !== undefined) env.run(node.onTrue.xpr, `${path}/onTrue/xpr`);
}

/**
 * Evaluates `node` (at JSON path `path`, e.g. `/condition`). Returns the chosen directives, or null when
 * the condition is not (yet) true. Throws ThredError / ExpressionError on bad conditions or expressions.
 */
export function evaluateCondition(node: Condition, path: string, env: ConditionEnv): Directives | null {
  switch (node.type) {
    case 'filter': {
      if (node.xpr === undefined) throw new ThredError(5000, 'Invalid condition', `filter at ${path} has no xpr`);
      if (!truthy(env.run(node.xpr, `${path}/xpr`))) return null;
      runOnTrue(node, path, env);
      return directivesOf(node, path);
    }
    case 'and': {
      const operands = node.operands ?? [];
      if (env.mode === 'test') {
        for (const [i, op] of operands.entries()) {
          const p = `${path}/operands/${i}`;
          if (env.andState[p] !== true && evaluateCondition(op, p, env) !== null) return directivesOf(node, path);
        }
        return null;
      }
      let all = true;
      for (const [i, op] of operands.entries()) {
        const p = `${path}/operands/${i}`;
        if (env.andState[p] === true) continue;
        if (evaluateCondition(op, p, env) !== null) env.andState[p] = true;
        else all = false;
      }
      if (!all) return null;
      runOnTrue(node, path, env);
      // and = the and-node's own directives only; operand directives are ignored (SPEC §4).
      return directivesOf(node, path);
    }
    case 'or': {
      for (const [i, op] of (node.operands ?? []).entries()) {
        const r = evaluateCondition(op, `${path}/operands/${i}`, env);
        if (r !== null) {
          runOnTrue(node, path, env);
          return override(directivesOf(node, path), r);
        }
      }
      return null;
    }
    default:
      throw new ThredError(5000, 'Invalid condition', `unknown condition type at ${path}`);
  }
}
