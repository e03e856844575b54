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
import jsonata from 'jsonata';
import type { ThredsEvent } from './model';
import { cloneJson } from './normalize';
import { Re2RegexEngine, UnsupportedRegexError } from './regex';
import { isRecord } from './json';

/** Longest expression accepted (characters). */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Evaluation steps (JSONata AST node visits) allowed per evaluation. */
export const MAX_EVALUATION_STEPS = 100_000;
/** JSONata recursion depth limit (its `stack` option). */
export const MAX_EVALUATION_DEPTH = 400;
/** Largest sequence/range an expression may build. */
export const MAX_SEQUENCE_LENGTH = 100_000;
/** Longest string any sub-expression may produce (characters); events are at most 256 KiB. */
export const MAX_STRING_LENGTH = 1_048_576;
/**
 * Volume of one evaluation: characters of every string and elements of every sequence its sub-expressions
 * return (and every range they allocate), summed. Bounds the work builtins do outside the step count, e.g. a
 * regex or `$uppercase` over a long string inside a loop.
 */
export const MAX_EVALUATION_CHARS = 33_554_432;
export const MAX_EVALUATION_ELEMENTS = 2_000_000;
/** Regex matches (each `exec` of $match/$replace/$split/$contains) per evaluation. */
export const MAX_REGEX_MATCHES = MAX_SEQUENCE_LENGTH;

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

/** What an expression can see and change. `locals` is the working copy the caller commits or discards. */
export interface EvalScope {
  /** The input event (absent when an expiry fires with no event). */
  event?: ThredsEvent | undefined;
  thredId?: string | undefined;
  locals: Record<string, unknown>;
  outIds: Record<string, string>;
  now: number;
  /** Only bound inside `publish.onPublish`. */
  outboundEvent?: ThredsEvent | undefined;
  /** `$log(msg)` lines, collected for `thred.log` effects. */
  logs: string[];
}

type Expression = ReturnType<typeof jsonata>;
interface JsonataFunction {
  _jsonata_function: true;
  implementation: (this: { environment: { lookup(name: string): unknown } }, ...args: unknown[]) => unknown;
}

// JSONata 1.8 is used rather than 2.x on purpose: 2.x evaluates through async functions, and inside a Temporal
// workflow every promise is traced by the SDK's promise hook (a captured stack per promise), which made expression
// evaluation the thred worker's main CPU cost (README "Benchmark"). 1.8 evaluates synchronously with generators,
// with the same language; the guards 2.x offers as options (stack depth, sequence length) are enforced here through
// its entry/exit hooks, with the same error codes.
const ENTRY_HOOK = '__evaluate_entry';
const EXIT_HOOK = '__evaluate_exit';
const BUDGET_BINDING = '__thredsBudget';
const NOW_BINDING = '__thredsNow';

/** Per-evaluation counters, bound afresh for every call, so concurrent evaluations don't share them. */
interface Budget {
  steps: number;
  depth: number;
  chars: number;
  elements: number;
  matches: number;
  /** Lower bounds of the ranges being evaluated, per range node (a stack: a range may recurse into itself). */
  rangeLows: Map<object, unknown[]>;
}

const newBudget = (): Budget => ({ steps: 0, depth: 0, chars: 0, elements: 0, matches: 0, rangeLows: new Map() });

/** The `lhs`/`rhs` nodes of range operators (`[a..b]`), so the exit hook sees a range's size before it is built. */
const rangeBounds = new WeakMap<object, { range: object; side: 'lhs' | 'rhs' }>();

/**
 * The budget of the evaluation running now. Evaluation is synchronous (JSONata 1.8 runs generators to completion
 * inside `evaluate`), so one slot is enough; it lets the regex engine JSONata instantiates count matches.
 */
let activeBudget: Budget | undefined;

function budgetError(code: string, message: string): { code: string; message: string } {
  return { code, message };
}

/** RE2 for every regex literal, counting matches against the running evaluation's budget. */
class BudgetedRegexEngine extends Re2RegexEngine {
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

function entryHook(_node: unknown, _input: unknown, env: JsonataEnv): void {
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

function exitHook(node: object, _input: unknown, env: JsonataEnv, result: unknown): void {
  const budget = env.lookup(BUDGET_BINDING) as Budget | undefined;
  if (!budget) return;
  budget.depth--;
  if (Array.isArray(result) && result.length > MAX_SEQUENCE_LENGTH) {
    throw { code: 'D2015', message: `The maximum sequence length of ${MAX_SEQUENCE_LENGTH} was exceeded.` };
  }
  countVolume(budget, result);
  checkRange(budget, node, result);
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

// JSONata 1.8 takes a regex engine option, but keeps it in a module-wide slot that every compile resets; the
// typings know neither. Every compile here passes it, and evaluation sets it again (see evaluateExpression).
type JsonataModule = ((source: string, options?: { RegexEngine: unknown }) => Expression) & { RegexEngine?: unknown };
const compileJsonata = jsonata as unknown as JsonataModule;

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

function fn(implementation: JsonataFunction['implementation']): JsonataFunction {
  return { _jsonata_function: true, implementation };
}

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

function bindings(scope: EvalScope): Record<string, unknown> {
  const event = scope.event;
  const data = event?.data;
  const content = data?.content;
  return {
    event,
    thredId: event?.thredId ?? scope.thredId,
    data,
    advice: data?.advice,
    content,
    values: content?.values,
    outboundEvent: scope.outboundEvent,
    valueNamed: fn((name, other) => {
      const source = (other ?? event) as ThredsEvent | undefined;
      return valueNamed(source?.data?.content?.values, String(name));
    }),
    local: fn((name) => {
      const key = String(name);
      if (Object.prototype.hasOwnProperty.call(scope.locals, key)) return scope.locals[key];
      // SrvThreds kept publish ids in locals as out_id_<name>; keep that spelling readable.
      if (key.startsWith('out_id_')) return scope.outIds[key.slice('out_id_'.length)];
      return undefined;
    }),
    setLocal: fn((name, value) => {
      const v = toJson(value);
      if (v === undefined) delete scope.locals[String(name)];
      else scope.locals[String(name)] = v;
      return undefined;
    }),
    isResponseFor: fn((name) => {
      const id = scope.outIds[String(name)] ?? scope.locals[`out_id_${String(name)}`];
      return id !== undefined && event?.re !== undefined && id === event.re;
    }),
    log: fn((msg) => {
      scope.logs.push(typeof msg === 'string' ? msg : (JSON.stringify(toJson(msg)) ?? 'undefined'));
      return undefined;
    }),
    millis: fn(() => scope.now),
    now: fn(function (picture, timezone) {
      const fromMillis = this.environment.lookup('fromMillis') as JsonataFunction;
      return fromMillis.implementation.call(this, scope.now, picture, timezone);
    }),
    eval: fn(() => {
      throw { code: 'THREDS_EVAL', message: '$eval is disabled in patterns' };
    }),
  };
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
  const outer = activeBudget;
  activeBudget = budget;
  // Another compile anywhere in this module instance (an un-optioned one included) may have reset the slot.
  compileJsonata.RegexEngine = BudgetedRegexEngine;
  try {
    return toJson(expr.evaluate(input, all));
  } catch (err) {
    const d = describe(err);
    throw new ExpressionError(d.message, source, d.code);
  } finally {
    activeBudget = outer;
  }
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
function guardedBuiltins(): Record<string, BuiltinFunction> {
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

/** If `text` is a `$xpr(…)` string, returns the expression inside (text between `$xpr(` and the last char). */
export function xprBody(text: string): string | null {
  if (!text.startsWith('$xpr(')) return null;
  return text.slice('$xpr('.length, text.length - 1);
}

/** Deep copy of locals for a scratch scope. */
export function copyLocals(locals: Record<string, unknown>): Record<string, unknown> {
  return cloneJson(locals);
}
