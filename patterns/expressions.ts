/**
 * JSONata compile + evaluate with the pattern bindings (SPEC §4 "Expressions").
 *
 * Deterministic by construction: `$now()`/`$millis()` are pinned to the caller's time, `$eval` is disabled
 * (it would escape the budget), and each evaluation is bounded: node steps, recursion depth, the size of each
 * sequence, range and string it builds, the volume of values all its sub-expressions produce, and regex matches
 * (regexes run on RE2, linear time: patterns/regex.ts). Date-based timeouts are useless inside the Temporal
 * sandbox, so the budget counts work instead. Failures throw `ExpressionError`; the machine turns them into
 * results.
 */
import { UnsupportedRegexError } from './regex';
import { bindings, type EvalScope } from './expressions/bindings';
import {
  BUDGET_BINDING,
  BudgetedRegexEngine,
  ENTRY_HOOK,
  entryHook,
  EXIT_HOOK,
  exitHook,
  guardedBuiltins,
  newBudget,
  NOW_BINDING,
  rangeBounds,
  withActiveBudget,
} from './expressions/budget';
import { compileJsonata, type Expression } from './expressions/jsonata';
import { MAX_EXPRESSION_LENGTH } from './expressions/limits';
import { toJson } from './expressions/values';

export * from './expressions/limits';
export type { EvalScope } from './expressions/bindings';
export { toJson, truthy, valueNamed } from './expressions/values';

/** Failure to compile or evaluate an expression. `code` is always SERVER_ERROR (5000) per SPEC §4. */
export class ExpressionError extends Error {
  readonly code = 5000;
  constructor(
    message: string,
    readonly expression: string,
    readonly jsonataCode?: string,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

function describe(err: unknown): { message: string; code?: string } {
  if (typeof err === 'object' && err !== null) {
    const e = err as { message?: unknown; code?: unknown; position?: unknown };
    const message = typeof e.message === 'string' ? e.message : String(err);
    const code = typeof e.code === 'string' ? e.code : undefined;
    const at = typeof e.position === 'number' ? ` (at ${e.position})` : '';
    return code !== undefined ? { message: `${code}: ${message}${at}`, code } : { message: `${message}${at}` };
  }
  return { message: String(err) };
}

/**
 * Compiles an expression (no caching). Throws `ExpressionError` on syntax errors or when the source is
 * longer than `MAX_EXPRESSION_LENGTH`.
 */
export function compileExpression(source: string): Expression {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`, source.slice(0, 80));
  }
  let expr: Expression;
  try {
    expr = compileJsonata(source, { RegexEngine: BudgetedRegexEngine });
  } catch (err) {
    const d = describe(err);
    throw new ExpressionError(`syntax error: ${d.message}`, source, d.code);
  }
  prepareAst(expr.ast(), source);
  expr.assign(ENTRY_HOOK, entryHook);
  expr.assign(EXIT_HOOK, exitHook);
  return expr;
}

/**
 * Walks the compiled AST once: every regex literal must compile on RE2 (else the expression is refused, with the
 * reason), and the bounds of every range operator are registered for the exit hook's size check.
 */
function prepareAst(ast: unknown, source: string): void {
  const stack: unknown[] = [ast];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null || node instanceof RegExp || seen.has(node)) continue;
    seen.add(node);
    const n = node as { type?: unknown; value?: unknown; lhs?: unknown; rhs?: unknown };
    if (n.type === 'regex' && n.value instanceof RegExp) {
      try {
        new BudgetedRegexEngine(n.value);
      } catch (err) {
        if (err instanceof UnsupportedRegexError) throw new ExpressionError(err.message, source, 'THREDS_REGEX');
        throw err;
      }
    }
    if (n.type === 'binary' && n.value === '..') {
      if (typeof n.lhs === 'object' && n.lhs !== null) rangeBounds.set(n.lhs, { range: node, side: 'lhs' });
      if (typeof n.rhs === 'object' && n.rhs !== null) rangeBounds.set(n.rhs, { range: node, side: 'rhs' });
    }
    for (const value of Object.values(node)) if (typeof value === 'object' && value !== null) stack.push(value);
  }
}

/** Returns a syntax error message for `source`, or null when it compiles. Pure. */
export function checkExpression(source: string): string | null {
  try {
    compileExpression(source);
    return null;
  } catch (err) {
    return err instanceof ExpressionError ? err.message : String(err);
  }
}

/** Compile cache keyed by expression text; compiled expressions are immutable apart from per-call frames. */
export class ExpressionCache {
  private readonly compiled = new Map<string, Expression>();
  get(source: string): Expression {
    let expr = this.compiled.get(source);
    if (expr === undefined) {
      expr = compileExpression(source);
      this.compiled.set(source, expr);
    }
    return expr;
  }
}

/**
 * Evaluates `source` against the input document `{ event, context }` with the pattern bindings.
 * Mutates only `scope.locals` (via `$setLocal`) and `scope.logs` (via `$log`). Returns plain JSON.
 * Throws `ExpressionError` on any failure.
 */
export function evaluateExpression(
  source: string,
  scope: EvalScope,
  cache: ExpressionCache = new ExpressionCache(),
): unknown {
  const expr = cache.get(source);
  const input = { event: scope.event, context: { thredId: scope.thredId, locals: scope.locals } };
  const budget = newBudget();
  const all = { ...bindings(scope), ...guardedBuiltins(), [NOW_BINDING]: scope.now, [BUDGET_BINDING]: budget };
  return withActiveBudget(budget, () => {
    // Any other compile against this JSONata instance (an un-optioned one included) may have reset the slot.
    compileJsonata.RegexEngine = BudgetedRegexEngine;
    try {
      return toJson(expr.evaluate(input, all));
    } catch (err) {
      const d = describe(err);
      throw new ExpressionError(d.message, source, d.code);
    }
  });
}

/** If `text` is a `$xpr(…)` string, returns the expression inside (text between `$xpr(` and the last char). */
export function xprBody(text: string): string | null {
  if (!text.startsWith('$xpr(')) return null;
  return text.slice('$xpr('.length, text.length - 1);
}
