/**
 * The per-evaluation budget: counters bound into each evaluation, the entry/exit hooks that charge them, the regex
 * engine that counts matches, and the builtins that must check a string's size before building it.
 */
import { Re2RegexEngine } from '../regex';
import { compileJsonata } from './jsonata';
import {
  MAX_EVALUATION_CHARS,
  MAX_EVALUATION_DEPTH,
  MAX_EVALUATION_ELEMENTS,
  MAX_EVALUATION_STEPS,
  MAX_REGEX_MATCHES,
  MAX_SEQUENCE_LENGTH,
  MAX_STRING_LENGTH,
} from './limits';

// What JSONata 1.8 calls around every node it evaluates, and the bindings that carry the budget and the caller's
// time into those calls.
export const ENTRY_HOOK = '__evaluate_entry';
export const EXIT_HOOK = '__evaluate_exit';
export const BUDGET_BINDING = '__thredsBudget';
export const NOW_BINDING = '__thredsNow';

/** Per-evaluation counters, bound afresh for every call, so concurrent evaluations don't share them. */
export interface Budget {
  steps: number;
  depth: number;
  chars: number;
  elements: number;
  matches: number;
  /** Lower bounds of the ranges being evaluated, per range node (a stack: a range may recurse into itself). */
  rangeLows: Map<object, unknown[]>;
}

export const newBudget = (): Budget => ({
  steps: 0,
  depth: 0,
  chars: 0,
  elements: 0,
  matches: 0,
  rangeLows: new Map(),
});

/** The `lhs`/`rhs` nodes of range operators (`[a..b]`), so the exit hook sees a range's size before it is built. */
export const rangeBounds = new WeakMap<object, { range: object; side: 'lhs' | 'rhs' }>();

/**
 * The budget of the evaluation running now. Evaluation is synchronous (JSONata 1.8 runs generators to completion
 * inside `evaluate`), so one slot is enough; it lets the regex engine JSONata instantiates count matches.
 */
let activeBudget: Budget | undefined;

/** Runs `run` with `budget` as the active one, then restores whichever was active before. */
export function withActiveBudget<T>(budget: Budget, run: () => T): T {
  const outer = activeBudget;
  activeBudget = budget;
  try {
    return run();
  } finally {
    activeBudget = outer;
  }
}

function budgetError(code: string, message: string): { code: string; message: string } {
  return { code, message };
}

/** RE2 for every regex literal, counting matches against the running evaluation's budget. */
export class BudgetedRegexEngine extends Re2RegexEngine {
  override exec(input: string): ReturnType<Re2RegexEngine['exec']> {
    const budget = activeBudget;
    if (budget !== undefined && ++budget.matches > MAX_REGEX_MATCHES) {
      throw budgetError('THREDS_BUDGET', `evaluation exceeded ${MAX_REGEX_MATCHES} regular expression matches`);
    }
    return super.exec(input);
  }
}

function countVolume(budget: Budget, result: unknown): void {
  if (typeof result === 'string') {
    if (result.length > MAX_STRING_LENGTH) {
      throw budgetError('THREDS_STRING', `a string longer than ${MAX_STRING_LENGTH} characters was built`);
    }
    budget.chars += result.length;
    if (budget.chars > MAX_EVALUATION_CHARS) {
      throw budgetError('THREDS_BUDGET', `evaluation produced more than ${MAX_EVALUATION_CHARS} characters`);
    }
  } else if (Array.isArray(result)) {
    addElements(budget, result.length);
  }
}

function addElements(budget: Budget, n: number): void {
  budget.elements += n;
  if (budget.elements > MAX_EVALUATION_ELEMENTS) {
    throw budgetError('THREDS_BUDGET', `evaluation produced more than ${MAX_EVALUATION_ELEMENTS} sequence elements`);
  }
}

/** Checks a range's size from its bounds as they are evaluated, before JSONata allocates it. */
function checkRange(budget: Budget, node: object, result: unknown): void {
  const bound = rangeBounds.get(node);
  if (bound === undefined) return;
  // A path bound arrives as a singleton sequence; JSONata unwraps it before the range operator sees it.
  if (Array.isArray(result) && result.length === 1) result = result[0];
  let lows = budget.rangeLows.get(bound.range);
  if (bound.side === 'lhs') {
    if (lows === undefined) budget.rangeLows.set(bound.range, (lows = []));
    lows.push(result);
    return;
  }
  const low = lows?.pop();
  if (typeof low !== 'number' || typeof result !== 'number') return;
  const size = result - low + 1;
  if (size > MAX_SEQUENCE_LENGTH) {
    throw budgetError(
      'THREDS_RANGE',
      `The size of the sequence allocated by the range operator (..) must not exceed ${MAX_SEQUENCE_LENGTH}. ` +
        `Attempted to allocate ${size}.`,
    );
  }
  if (size > 0) addElements(budget, size);
}

interface JsonataEnv {
  timestamp?: Date;
  lookup(name: string): unknown;
}

export function entryHook(_node: unknown, _input: unknown, env: JsonataEnv): void {
  const budget = env.lookup(BUDGET_BINDING) as Budget | undefined;
  if (!budget) return;
  budget.steps++;
  budget.depth++;
  if (budget.steps === 1) {
    // Pin the per-call clock JSONata reads for $toMillis/$fromMillis defaults to the caller's time (nested frames
    // copy it from this root frame when they are created).
    const now = env.lookup(NOW_BINDING);
    if (typeof now === 'number') env.timestamp = new Date(now);
  }
  if (budget.steps > MAX_EVALUATION_STEPS) {
    throw { code: 'THREDS_BUDGET', message: `evaluation exceeded ${MAX_EVALUATION_STEPS} steps` };
  }
  if (budget.depth > MAX_EVALUATION_DEPTH) {
    throw {
      code: 'D1011',
      message: 'Stack overflow. Check for non-terminating recursive function.  Consider rewriting as tail-recursive',
    };
  }
}

export function exitHook(node: object, _input: unknown, env: JsonataEnv, result: unknown): void {
  const budget = env.lookup(BUDGET_BINDING) as Budget | undefined;
  if (!budget) return;
  budget.depth--;
  if (Array.isArray(result) && result.length > MAX_SEQUENCE_LENGTH) {
    throw { code: 'D2015', message: `The maximum sequence length of ${MAX_SEQUENCE_LENGTH} was exceeded.` };
  }
  countVolume(budget, result);
  checkRange(budget, node, result);
}

interface BuiltinFunction {
  _jsonata_function: true;
  implementation: (...args: unknown[]) => unknown;
  signature?: unknown;
}

let guarded: Record<string, BuiltinFunction> | undefined;

/**
 * Builtins that would allocate a string of any size before the exit hook could see it (`$pad` with a width of
 * 10^9, `$join` of many long strings), wrapped to check the size first. Same signatures, so argument handling
 * (context binding, type errors) is JSONata's own.
 */
export function guardedBuiltins(): Record<string, BuiltinFunction> {
  if (guarded !== undefined) return guarded;
  const original = (name: string) => compileJsonata(`$${name}`).evaluate(undefined) as BuiltinFunction;
  const wrap = (name: string, check: (args: unknown[]) => number): BuiltinFunction => {
    const fn = original(name);
    return {
      ...fn,
      implementation(this: unknown, ...args: unknown[]) {
        if (check(args) > MAX_STRING_LENGTH) {
          throw budgetError(
            'THREDS_STRING',
            `$${name} would build a string longer than ${MAX_STRING_LENGTH} characters`,
          );
        }
        return fn.implementation.apply(this, args);
      },
    };
  };
  const len = (v: unknown): number => (typeof v === 'string' ? v.length : 0);
  guarded = {
    pad: wrap('pad', ([str, width]) => Math.max(len(str), typeof width === 'number' ? Math.abs(width) : 0)),
    join: wrap('join', ([strs, separator]) => {
      const items = Array.isArray(strs) ? strs : [strs];
      return items.reduce((n: number, item) => n + len(item), 0) + len(separator) * Math.max(0, items.length - 1);
    }),
  };
  return guarded;
}
