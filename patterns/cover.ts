/**
 * Path coverage (SPEC §15, `threds cover`): event sequences that together take every transition of a pattern (the
 * edges of patterns/transitions.ts), each checked by running it through the simulator, and for each transition it
 * cannot take, the condition that stopped it.
 *
 * How events are found: a breadth-first walk over simulated prefixes. From a prefix (events so far, and the thred
 * state the simulator reached), each edge of the current reaction gets an input built for it: an expiry edge is a
 * clock advance of its interval; an event edge is an event that makes its condition branch true and every earlier
 * or-branch false (an `and` branch: one event per operand). Conditions are solved from the JSONata AST by constructing
 * values: `=`/`!=`, `<`/`<=`/`>`/`>=` against literals, `in [..]`, `and`/`or`/`$not`, `$exists`, `$event.…`,
 * `$data`/`$content`/`$values`/`$advice` paths, `$valueNamed('k')`, `$isResponseFor('p')` (via
 * `re: "$outIds.p"`), and constant sides — `$local(..)`, `$valueNamed('k', $local(..))`, literals — read from the
 * simulated state. `allowedSources` pick the source id (exact ids, `$group` members from the options, `/regex/` by a
 * literal derived from the regex). Every key read with `$valueNamed` gets a placeholder value in every event, and the
 * walk is repeated with each literal a `$valueNamed` key is compared to, so a value stored early (e.g. with
 * `$setLocal('report', $event)`) can decide a branch later. Look-back reactions need nothing special: new events are
 * offered as usual. Deterministic (ids `e1`, `e2`, … per sequence, no clock). Pure.
 */
import jsonata from 'jsonata';
import type { AgentAddress, Condition, Pattern, ThredsEvent, ThredState } from './model';
import { valueNamed } from './expressions';
import { simulate, type SimulationInput, type SimulationTrace } from './simulate';
import { sourceAllowed } from './sources';
import { patternEdges, type PatternEdge } from './transitions';
import { validatePattern } from './validate';

export interface CoverOptions {
  groups?: Record<string, string[]>;
  /** Agents of the simulation (default: `org.wt.persistence`, as `threds simulate`). */
  agents?: AgentAddress[];
  /** Most prefixes kept per reaction (default 4). */
  prefixesPerReaction?: number;
  /** Longest sequence, in inputs (default 4 × reactions + 4). */
  maxInputs?: number;
}

export interface CoverTransition {
  id: string;
  from: string;
  to: string | null;
  trigger: 'event' | 'expiry';
  label: string;
  at: string;
  covered: boolean;
  /** Name of the first sequence that takes it. */
  sequence?: string;
  /** Why it could not be taken (the condition that stopped it). */
  reason?: string;
}

export interface CoverSequence {
  name: string;
  /** Ids of the transitions the sequence takes. */
  covers: string[];
  /** Input for `threds simulate` (events and `{ advanceMs }` clock advances). */
  events: SimulationInput[];
  final: { status: ThredState['status'] | null; reaction: string | null };
}

export interface CoverReport {
  valid: boolean;
  errors: { path: string; reason: string }[];
  patternId?: string;
  total: number;
  covered: number;
  transitions: CoverTransition[];
  sequences: CoverSequence[];
}

// ---------------------------------------------------------------------------------------------------------------
// Constraint solving over one event
// ---------------------------------------------------------------------------------------------------------------

type AstNode = {
  type: string;
  value?: unknown;
  lhs?: AstNode;
  rhs?: AstNode;
  steps?: AstNode[];
  expressions?: AstNode[];
  arguments?: AstNode[];
  procedure?: AstNode;
  expression?: AstNode;
  position?: number;
};

type Term = { kind: 'path'; path: string[] } | { kind: 'response'; name: string } | { kind: 'const'; value: unknown };

class Unsolvable extends Error {}

interface Slot {
  path: string[];
  set: boolean;
  value?: unknown;
  not: unknown[];
  absent?: boolean;
}

/** What one event must look like: field assignments by path, plus negative constraints. */
class Draft {
  slots = new Map<string, Slot>();

  slot(path: string[]): Slot {
    const key = path.join('\u0000');
    let s = this.slots.get(key);
    if (s === undefined) {
      s = { path, set: false, not: [] };
      this.slots.set(key, s);
    }
    return s;
  }

  snapshot(): Map<string, Slot> {
    return new Map([...this.slots].map(([k, s]) => [k, { ...s, not: [...s.not] }]));
  }

  restore(snap: Map<string, Slot>): void {
    this.slots = snap;
  }

  assign(path: string[], value: unknown): void {
    const s = this.slot(path);
    if (s.set) {
      if (!same(s.value, value))
        throw new Unsolvable(`${path.join('.')} cannot be both ${show(s.value)} and ${show(value)}`);
      return;
    }
    if (s.absent === true || s.not.some((v) => same(v, value)))
      throw new Unsolvable(`${path.join('.')} cannot be ${show(value)}`);
    s.set = true;
    s.value = value;
  }

  forbid(path: string[], value: unknown): void {
    const s = this.slot(path);
    if (s.set && same(s.value, value)) throw new Unsolvable(`${path.join('.')} must be ${show(value)}`);
    s.not.push(value);
  }

  /** The value a slot ends with: its assignment, or one that avoids every forbidden value. */
  static final(s: Slot, fallback: unknown): unknown {
    if (s.set) return s.value;
    if (s.absent === true) return undefined;
    if (fallback !== undefined && !s.not.some((v) => same(v, fallback))) return fallback;
    const first = s.not[0];
    if (s.not.length === 0) return fallback;
    if (typeof first === 'boolean') return s.not.includes(!first) ? 'cover_other' : !first;
    if (typeof first === 'number') {
      let n = first + 1;
      while (s.not.includes(n)) n += 1;
      return n;
    }
    let text = 'cover_other';
    for (let i = 2; s.not.includes(text); i++) text = `cover_other_${i}`;
    return text;
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

const PATH_ROOTS: Record<string, string[]> = {
  event: [],
  data: ['data'],
  advice: ['data', 'advice'],
  content: ['data', 'content'],
  values: ['data', 'content', 'values'],
};

interface SolveEnv {
  locals: Record<string, unknown>;
  outIds: Record<string, string>;
  thredId: string | null;
}

function fnName(node: AstNode): string | undefined {
  if (node.type !== 'function' || node.procedure === undefined) return undefined;
  const p = node.procedure;
  if (p.type === 'variable' && typeof p.value === 'string') return p.value;
  if (p.type === 'path' && p.steps?.length === 1 && p.steps[0]?.type === 'name') return String(p.steps[0].value);
  return undefined;
}

function literal(node: AstNode): { ok: boolean; value?: unknown } {
  if (node.type === 'string' || node.type === 'number' || node.type === 'value') return { ok: true, value: node.value };
  if (node.type === 'unary' && node.value === '-' && node.expression !== undefined) {
    const inner = literal(node.expression as AstNode);
    return inner.ok && typeof inner.value === 'number' ? { ok: true, value: -inner.value } : { ok: false };
  }
  if (node.type === 'unary' && node.value === '[') {
    const items = (node.expressions ?? []).map(literal);
    return items.every((i) => i.ok) ? { ok: true, value: items.map((i) => i.value) } : { ok: false };
  }
  return { ok: false };
}

/** What an expression node denotes: a field of the event, `$isResponseFor`, a constant, or null (not understood). */
function termOf(node: AstNode, env: SolveEnv): Term | null {
  const lit = literal(node);
  if (lit.ok) return { kind: 'const', value: lit.value };
  if (node.type === 'block' && node.expressions?.length === 1) return termOf(node.expressions[0] as AstNode, env);
  if (node.type === 'variable') {
    const name = String(node.value);
    if (name in PATH_ROOTS) return { kind: 'path', path: [...(PATH_ROOTS[name] as string[])] };
    if (name === 'thredId') return { kind: 'const', value: env.thredId ?? undefined };
    return null;
  }
  if (node.type === 'path' && node.steps !== undefined && node.steps.length > 0) {
    const [head, ...rest] = node.steps as [AstNode, ...AstNode[]];
    if (!rest.every((s) => s.type === 'name')) return null;
    const names = rest.map((s) => String(s.value));
    let base: Term | null = null;
    if (head.type === 'variable' || (head.type === 'name' && head.value === 'event')) {
      base = head.type === 'name' ? { kind: 'path', path: [] } : termOf(head, env);
    } else {
      base = termOf(head, env);
    }
    if (base === null) return null;
    if (base.kind === 'path') return { kind: 'path', path: [...base.path, ...names] };
    if (base.kind === 'const') {
      let v: unknown = base.value;
      for (const n of names) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[n] : undefined;
      return { kind: 'const', value: v };
    }
    return null;
  }
  const fn = fnName(node);
  const args = node.arguments ?? [];
  const arg0 = args[0] !== undefined ? literal(args[0]) : { ok: false };
  if (fn === 'valueNamed' && arg0.ok && typeof arg0.value === 'string') {
    if (args.length === 1) return { kind: 'path', path: ['data', 'content', 'values', arg0.value] };
    const other = termOf(args[1] as AstNode, env);
    if (other?.kind === 'path' && other.path.length === 0)
      return { kind: 'path', path: ['data', 'content', 'values', arg0.value] };
    if (other?.kind === 'const') {
      const ev = other.value as ThredsEvent | undefined;
      return { kind: 'const', value: valueNamed(ev?.data?.content?.values, arg0.value) };
    }
    return null;
  }
  if (fn === 'local' && arg0.ok) {
    const key = String(arg0.value);
    const value = Object.hasOwn(env.locals, key)
      ? env.locals[key]
      : key.startsWith('out_id_')
        ? env.outIds[key.slice('out_id_'.length)]
        : undefined;
    return { kind: 'const', value };
  }
  if (fn === 'isResponseFor' && arg0.ok) return { kind: 'response', name: String(arg0.value) };
  return null;
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  return value !== undefined && value !== null && value !== false && value !== 0 && value !== '';
}

/** Makes `node` evaluate truthy (want) or falsy (!want) for the event being drafted; throws Unsolvable. */
function solve(node: AstNode, want: boolean, draft: Draft, env: SolveEnv): void {
  const fn = fnName(node);
  if (node.type === 'block' && node.expressions?.length === 1)
    return solve(node.expressions[0] as AstNode, want, draft, env);
  if (fn === 'not' && node.arguments?.length === 1) return solve(node.arguments[0] as AstNode, !want, draft, env);
  if (fn === 'exists' && node.arguments?.length === 1) {
    const t = termOf(node.arguments[0] as AstNode, env);
    if (t?.kind === 'path') {
      const s = draft.slot(t.path);
      if (want) {
        if (s.absent === true) throw new Unsolvable(`${t.path.join('.')} must exist`);
        if (!s.set) s.not.push(null);
      } else {
        if (s.set) throw new Unsolvable(`${t.path.join('.')} must not exist`);
        s.absent = true;
      }
      return;
    }
  }
  if (node.type === 'binary') {
    const op = String(node.value);
    const lhs = node.lhs as AstNode;
    const rhs = node.rhs as AstNode;
    if (op === 'and' || op === 'or') {
      // and-true / or-false need both sides; and-false / or-true need either (left first, then right).
      if ((op === 'and') === want) {
        solve(lhs, want, draft, env);
        solve(rhs, want, draft, env);
        return;
      }
      const snap = draft.snapshot();
      try {
        solve(lhs, want, draft, env);
        return;
      } catch (err) {
        if (!(err instanceof Unsolvable)) throw err;
        draft.restore(snap);
      }
      solve(rhs, want, draft, env);
      return;
    }
    if (['=', '!=', '<', '<=', '>', '>=', 'in'].includes(op)) return compare(op, lhs, rhs, want, draft, env);
  }
  const t = termOf(node, env);
  if (t === null) throw new Unsolvable(`cannot construct a value for ${describeNode(node)}`);
  truthTerm(t, want, draft, env);
}

function truthTerm(t: Term, want: boolean, draft: Draft, env: SolveEnv): void {
  if (t.kind === 'const') {
    if (truthy(t.value) !== want) throw new Unsolvable(`constant ${show(t.value)} is ${want ? 'falsy' : 'truthy'}`);
    return;
  }
  if (t.kind === 'response') {
    if (want && env.outIds[t.name] === undefined && env.locals[`out_id_${t.name}`] === undefined) {
      throw new Unsolvable(`$isResponseFor('${t.name}'): nothing was published under '${t.name}' on the way here`);
    }
    if (want) draft.assign(['re'], `$outIds.${t.name}`);
    else draft.forbid(['re'], `$outIds.${t.name}`);
    return;
  }
  const s = draft.slot(t.path);
  if (s.set) {
    if (truthy(s.value) !== want) throw new Unsolvable(`${t.path.join('.')} is ${show(s.value)}`);
    return;
  }
  draft.assign(t.path, want);
}

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=', '!=': '!=' };
const NEGATE: Record<string, string> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '=': '!=', '!=': '=' };

function compare(op: string, lhs: AstNode, rhs: AstNode, want: boolean, draft: Draft, env: SolveEnv): void {
  let a = termOf(lhs, env);
  let b = termOf(rhs, env);
  if (a === null || b === null)
    throw new Unsolvable(`cannot construct a value for ${describeNode(a === null ? lhs : rhs)}`);
  if (op === 'in') {
    if (b.kind !== 'const') throw new Unsolvable(`'in' needs a constant list`);
    const list = Array.isArray(b.value) ? b.value : [b.value];
    if (a.kind === 'const') {
      if (list.some((v) => same(v, (a as { value: unknown }).value)) !== want)
        throw new Unsolvable(`${show(a.value)} in ${show(list)}`);
      return;
    }
    if (a.kind !== 'path') throw new Unsolvable(`'in' over $isResponseFor`);
    if (want) {
      const s = draft.slot(a.path);
      const pick = s.set ? s.value : list.find((v) => !s.not.some((n) => same(n, v)));
      if (!list.some((v) => same(v, pick))) throw new Unsolvable(`${a.path.join('.')} cannot be one of ${show(list)}`);
      draft.assign(a.path, pick);
    } else for (const v of list) draft.forbid(a.path, v);
    return;
  }
  let effective = want ? op : (NEGATE[op] as string);
  if (a.kind === 'const' && b.kind !== 'const') {
    [a, b] = [b, a];
    effective = FLIP[effective] as string;
  }
  if (a.kind === 'const' && b.kind === 'const') {
    if (holds(effective, a.value, b.value)) return;
    throw new Unsolvable(`${show(a.value)} ${effective} ${show(b.value)} is false on this path`);
  }
  if (b.kind !== 'const') throw new Unsolvable('comparing two event fields is not supported');
  const value = b.value;
  if (a.kind === 'response') {
    if (effective === '=' || effective === '!=') return truthTerm(a, (effective === '=') === truthy(value), draft, env);
    throw new Unsolvable('ordering comparison over $isResponseFor');
  }
  if (value === undefined) {
    // JSONata: a comparison with an undefined side is false, whatever the operator: only "false" is reachable.
    if (!want) return;
    throw new Unsolvable(`the compared value is undefined on this path`);
  }
  const path = (a as { kind: 'path'; path: string[] }).path;
  switch (effective) {
    case '=':
      return draft.assign(path, value);
    case '!=':
      return draft.forbid(path, value);
    default: {
      if (typeof value !== 'number') throw new Unsolvable(`ordering comparison with ${show(value)}`);
      const s = draft.slot(path);
      if (s.set) {
        if (!holds(effective, s.value, value)) throw new Unsolvable(`${path.join('.')} is ${show(s.value)}`);
        return;
      }
      const pick = effective === '<' ? value - 1 : effective === '>' ? value + 1 : value;
      draft.assign(path, pick);
    }
  }
}

function holds(op: string, a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  switch (op) {
    case '=':
      return same(a, b);
    case '!=':
      return !same(a, b);
    case '<':
      return (a as number) < (b as number);
    case '<=':
      return (a as number) <= (b as number);
    case '>':
      return (a as number) > (b as number);
    case '>=':
      return (a as number) >= (b as number);
    default:
      return false;
  }
}

function describeNode(node: AstNode): string {
  const fn = fnName(node);
  if (fn !== undefined) return `$${fn}(…)`;
  return `a ${node.type}${node.value !== undefined ? ` '${String(node.value)}'` : ''} expression`;
}

const astCache = new Map<string, AstNode>();
function astOf(xpr: string): AstNode {
  let ast = astCache.get(xpr);
  if (ast === undefined) {
    ast = jsonata(xpr).ast() as AstNode;
    astCache.set(xpr, ast);
  }
  return ast;
}

/** Makes a condition node true/false for one event (test-like: an `and` needs every operand in this event). */
function solveCondition(node: Condition, want: boolean, draft: Draft, env: SolveEnv): void {
  if (node.type === 'filter') {
    try {
      return solve(astOf(node.xpr ?? 'false'), want, draft, env);
    } catch (err) {
      if (err instanceof Unsolvable)
        throw new Unsolvable(`\`${node.xpr}\`${want ? '' : ' (to be false)'}: ${err.message}`);
      throw err;
    }
  }
  const operands = node.operands ?? [];
  if ((node.type === 'and') === want) {
    for (const op of operands) solveCondition(op, want, draft, env);
    return;
  }
  let last: unknown;
  for (const op of operands) {
    const snap = draft.snapshot();
    try {
      return solveCondition(op, want, draft, env);
    } catch (err) {
      if (!(err instanceof Unsolvable)) throw err;
      last = err;
      draft.restore(snap);
    }
  }
  throw last instanceof Unsolvable ? last : new Unsolvable(`empty ${node.type}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Building inputs for an edge
// ---------------------------------------------------------------------------------------------------------------

/** Literal source ids for an allowedSources entry (exact id, `$group` members, a `/regex/`'s literal reading). */
function sourceCandidates(entry: string, groups: Record<string, string[]> | undefined): string[] {
  if (entry.startsWith('$')) return groups?.[entry.slice(1)] ?? [];
  if (entry.length > 2 && entry.startsWith('/') && entry.endsWith('/')) {
    const body = entry.slice(1, -1);
    const literalText = body
      .replace(/^\^/, '')
      .replace(/\$$/, '')
      .replace(/\.\*|\.\+/g, '')
      .replace(/\\(.)/g, '$1');
    return [literalText, `${literalText}x`];
  }
  return [entry];
}

interface Scenario {
  /** Placeholder values for `$valueNamed` keys (soft: constraints override them). */
  fills: Record<string, unknown>;
}

interface BuildCtx {
  pattern: Pattern;
  edge: PatternEdge;
  state: ThredState | null;
  scenario: Scenario;
  opts: CoverOptions;
  nextId: number;
}

function eventFrom(draft: Draft, ctx: BuildCtx, id: string, reaction: Pattern['reactions'][number]): ThredsEvent {
  const event: Record<string, unknown> = {
    id,
    type: 'org.threds.cover',
    source: { id: 'cover_participant' },
    data: { content: { values: { ...ctx.scenario.fills } } },
  };
  const valuesPath = ['data', 'content', 'values'];
  for (const s of draft.slots.values()) {
    const isValue = s.path.length === 4 && valuesPath.every((p, i) => s.path[i] === p);
    const fallback = isValue
      ? ctx.scenario.fills[s.path[3] as string]
      : s.path.length === 1 && s.path[0] === 'type'
        ? event.type
        : undefined;
    const value = Draft.final(s, fallback ?? (s.not.length > 0 ? undefined : undefined));
    setPath(event, s.path, value);
  }
  // allowedSources: keep a constrained source id when it is admitted, else choose an admitted one.
  const sources = reaction.allowedSources;
  const sourceSlot = draft.slots.get(['source', 'id'].join('\u0000'));
  if (sources !== undefined) {
    const list = typeof sources === 'string' ? [sources] : sources;
    const current = (event.source as { id: string }).id;
    const constrained = sourceSlot?.set === true;
    if (!constrained || !sourceAllowed(sources, current, ctx.opts.groups)) {
      if (constrained) throw new Unsolvable(`source '${current}' is not in allowedSources ${JSON.stringify(sources)}`);
      const pick = list
        .flatMap((e) => sourceCandidates(e, ctx.opts.groups))
        .find((c) => c !== '' && sourceAllowed(sources, c, ctx.opts.groups) && !(sourceSlot?.not ?? []).includes(c));
      if (pick === undefined) throw new Unsolvable(`no source id satisfies allowedSources ${JSON.stringify(sources)}`);
      (event.source as { id: string }).id = pick;
    }
  }
  return event as unknown as ThredsEvent;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  if (path.length === 0) return;
  let obj = target;
  for (const key of path.slice(0, -1)) {
    const next = obj[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) obj[key] = {};
    obj = obj[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) delete obj[last];
  else obj[last] = value;
}

/** The condition node at a JSON pointer below a reaction's condition. */
function nodeAt(root: Condition, branch: number[]): Condition[] {
  // The chain from the root to the branch node: each element an or-node's chosen operand.
  const chain: Condition[] = [root];
  let node = root;
  for (const k of branch) {
    node = (node.operands ?? [])[k] as Condition;
    chain.push(node);
  }
  return chain;
}

/** Events that take `edge` from `state` (the thred not started yet when null). Throws Unsolvable with the reason. */
function inputsFor(ctx: BuildCtx, partialAnd = false): SimulationInput[] {
  const { edge, pattern, state } = ctx;
  if (edge.trigger === 'expiry') {
    if (state === null) throw new Unsolvable('the thred has to be started (by an event) before its expiry can fire');
    return [{ advanceMs: edge.interval ?? 0 }];
  }
  const reaction = pattern.reactions.find((r) => r.name === edge.from) as Pattern['reactions'][number];
  const chain = nodeAt(reaction.condition, edge.branch);
  const target = chain[chain.length - 1] as Condition;
  const env: SolveEnv = {
    locals: state?.locals ?? {},
    outIds: state?.outIds ?? {},
    thredId: state?.thredId ?? null,
  };
  // Every earlier or-operand on the way down must stay false, in each event.
  const negate = (draft: Draft): void => {
    edge.branch.forEach((k, depth) => {
      const or = chain[depth] as Condition;
      for (let j = 0; j < k; j++) solveCondition((or.operands ?? [])[j] as Condition, false, draft, env);
    });
  };
  const parts: Condition[] = target.type === 'and' ? (target.operands ?? []) : [target];
  const events: ThredsEvent[] = [];
  const used = partialAnd ? parts.slice(0, 1) : parts;
  for (const part of used) {
    const draft = new Draft();
    solveCondition(part, true, draft, env);
    negate(draft);
    events.push(eventFrom(draft, ctx, `e${ctx.nextId + events.length}`, reaction));
  }
  return events;
}

// ---------------------------------------------------------------------------------------------------------------
// The walk
// ---------------------------------------------------------------------------------------------------------------

interface Prefix {
  inputs: SimulationInput[];
  state: ThredState | null;
  /** Edges taken so far. */
  taken: string[];
}

function decisions(
  trace: SimulationTrace,
  fromStep: number,
): { kind: 'event' | 'expiry'; from: string | null; to: string | null }[] {
  const out: { kind: 'event' | 'expiry'; from: string | null; to: string | null }[] = [];
  for (const step of trace.steps.slice(fromStep)) {
    for (const e of step.effects) {
      if (e.type !== 'thred.log') continue;
      if (e.kind === 'matched' && e.detail !== 'broadcast') out.push({ kind: 'event', from: e.from, to: e.to });
      if (e.kind === 'expired') out.push({ kind: 'expiry', from: e.from, to: e.to });
    }
  }
  return out;
}

function firstFailure(trace: SimulationTrace, fromStep: number): string | undefined {
  for (const step of trace.steps.slice(fromStep)) {
    if (step.error !== undefined) return `error ${step.error.code}: ${step.error.message}`;
    if (step.note === 'does not start a thred') return 'the event does not start a thred';
  }
  return undefined;
}

/** Keys read with `$valueNamed('k'…)` anywhere in the pattern, and the literals each is compared with. */
function valueKeys(pattern: Pattern): { keys: string[]; literals: [string, unknown][] } {
  const text = JSON.stringify(pattern);
  const keys = [...new Set([...text.matchAll(/\$valueNamed\(\s*'([^'\\]+)'/g)].map((m) => m[1] as string))].sort();
  const literals: [string, unknown][] = [];
  const visit = (node: AstNode | undefined): void => {
    if (node === undefined || typeof node !== 'object') return;
    if (node.type === 'binary' && ['=', '!=', '<', '<=', '>', '>='].includes(String(node.value))) {
      for (const [a, b] of [
        [node.lhs, node.rhs],
        [node.rhs, node.lhs],
      ] as [AstNode, AstNode][]) {
        const lit = literal(b);
        if (fnName(a) === 'valueNamed' && lit.ok) {
          const k = literal((a.arguments ?? [])[0] as AstNode);
          if (k.ok) literals.push([String(k.value), lit.value]);
        }
      }
    }
    for (const v of Object.values(node)) {
      if (Array.isArray(v)) v.forEach((x) => visit(x as AstNode));
      else if (typeof v === 'object' && v !== null) visit(v as AstNode);
    }
  };
  const conditions = (c: Condition): void => {
    if (c.xpr !== undefined) {
      try {
        visit(astOf(c.xpr));
      } catch {
        // a syntax error is validation's to report
      }
    }
    (c.operands ?? []).forEach(conditions);
  };
  pattern.reactions.forEach((r) => conditions(r.condition));
  const seen = new Set<string>();
  return {
    keys,
    literals: literals.filter(([k, v]) => {
      const id = JSON.stringify([k, v]);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    }),
  };
}

/** Coverage of `input` (a pattern, raw or normalized). Never throws for bad patterns: `valid: false` instead. */
export async function cover(input: unknown, opts: CoverOptions = {}): Promise<CoverReport> {
  const report = validatePattern(input);
  if (!report.valid || report.pattern === undefined) {
    return { valid: false, errors: report.errors, total: 0, covered: 0, transitions: [], sequences: [] };
  }
  const pattern = report.pattern;
  const agents = opts.agents ?? [{ nodeType: 'org.wt.persistence' }];
  const simOpts = { agents, ...(opts.groups !== undefined && { groups: opts.groups }) };
  const edges = patternEdges(pattern);
  const names = pattern.reactions.map((r) => r.name as string);
  const perReaction = opts.prefixesPerReaction ?? 4;
  const maxInputs = opts.maxInputs ?? 4 * names.length + 4;

  const covered = new Map<string, { inputs: SimulationInput[]; taken: string[] }>();
  const reasons = new Map<string, string>();
  const candidates: { inputs: SimulationInput[]; taken: string[] }[] = [];
  const reached = new Set<string>();

  const { keys, literals } = valueKeys(pattern);
  const base: Record<string, unknown> = Object.fromEntries(keys.map((k) => [k, `cover_${k}`]));
  const scenarios: Scenario[] = [{ fills: base }, ...literals.map(([k, v]) => ({ fills: { ...base, [k]: v } }))];

  const credit = (trace: SimulationTrace, fromStep: number, target: PatternEdge | null, taken: string[]): string[] => {
    const got = [...taken];
    for (const d of decisions(trace, fromStep)) {
      const matches = edges.filter((e) => e.from === d.from && e.to === d.to && e.trigger === d.kind);
      const edge = target !== null && matches.includes(target) ? target : matches.length === 1 ? matches[0] : undefined;
      if (edge !== undefined) {
        if (edge === target) target = null; // one decision per targeted edge
        got.push(edge.id);
      }
    }
    return got;
  };

  for (const scenario of scenarios) {
    if (covered.size === edges.length) break;
    const visits = new Map<string, number>();
    // Taken in this scenario: a later scenario walks again, since its values may take other branches on the way.
    const here = new Set<string>();
    let frontier: Prefix[] = [{ inputs: [], state: null, taken: [] }];
    reached.add(names[0] as string);
    while (frontier.length > 0) {
      const next: Prefix[] = [];
      for (const prefix of frontier) {
        if (covered.size === edges.length) break;
        const at = prefix.state === null ? (names[0] as string) : prefix.state.reaction;
        if (at === null || (prefix.state !== null && prefix.state.status !== 'active')) continue;
        const outgoing = edges.filter((e) => e.from === at);
        const attempts: { edge: PatternEdge; partial: boolean }[] = outgoing.map((edge) => ({ edge, partial: false }));
        // An `and` can be left half-satisfied: the thred starts (or stays) with the first operand, so its expiry can fire.
        for (const edge of outgoing) {
          if (edge.trigger === 'event' && edge.node?.type === 'and' && (edge.node.operands?.length ?? 0) > 1) {
            attempts.push({ edge, partial: true });
            break;
          }
        }
        for (const { edge, partial } of attempts) {
          if (!partial && here.has(edge.id) && (edge.to === null || visits.has(edge.to))) continue;
          let inputs: SimulationInput[];
          try {
            inputs = inputsFor(
              { pattern, edge, state: prefix.state, scenario, opts, nextId: prefix.inputs.length + 1 },
              partial,
            );
          } catch (err) {
            if (!(err instanceof Unsolvable)) throw err;
            if (!partial && !reasons.has(edge.id)) reasons.set(edge.id, err.message);
            continue;
          }
          const all = [...prefix.inputs, ...inputs];
          if (all.length > maxInputs) continue;
          const trace = await simulate(pattern, all, simOpts);
          const taken = credit(trace, countSteps(trace, prefix.inputs.length), partial ? null : edge, prefix.taken);
          const final = trace.final;
          if (partial) {
            if (final !== null && final.reaction === at && final.status === 'active' && prefix.state === null) {
              next.push({ inputs: all, state: final, taken });
            }
            continue;
          }
          if (!taken.slice(prefix.taken.length).includes(edge.id)) {
            if (!reasons.has(edge.id)) {
              reasons.set(
                edge.id,
                firstFailure(trace, countSteps(trace, prefix.inputs.length)) ??
                  `the constructed ${edge.trigger === 'expiry' ? 'clock advance' : 'event'} did not take it (${describeEdge(pattern, edge)})`,
              );
            }
            continue;
          }
          candidates.push({ inputs: all, taken });
          for (const id of taken) {
            here.add(id);
            if (!covered.has(id)) covered.set(id, { inputs: all, taken });
          }
          if (final?.reaction != null && final.status === 'active') {
            const n = visits.get(final.reaction) ?? 0;
            if (n < perReaction) {
              visits.set(final.reaction, n + 1);
              reached.add(final.reaction);
              next.push({ inputs: all, state: final, taken });
            }
          }
          for (const t of taken) {
            const e = edges.find((x) => x.id === t);
            if (e?.to != null) reached.add(e.to);
          }
        }
      }
      frontier = next;
    }
  }

  // Fewest sequences: greedily the candidate taking the most transitions not yet taken (ties: shorter, earlier).
  const sequences: CoverSequence[] = [];
  const left = new Set(covered.keys());
  while (left.size > 0) {
    let best: { inputs: SimulationInput[]; taken: string[] } | undefined;
    let bestGain = 0;
    for (const c of candidates) {
      const gain = new Set(c.taken.filter((t) => left.has(t))).size;
      if (
        gain > bestGain ||
        (gain === bestGain && best !== undefined && gain > 0 && c.inputs.length < best.inputs.length)
      ) {
        best = c;
        bestGain = gain;
      }
    }
    if (best === undefined) break;
    const trace = await simulate(pattern, best.inputs, simOpts);
    const name = `path-${sequences.length + 1}`;
    const takes = [...new Set(best.taken)];
    sequences.push({
      name,
      covers: edges.map((e) => e.id).filter((id) => takes.includes(id)),
      events: best.inputs,
      final: { status: trace.final?.status ?? null, reaction: trace.final?.reaction ?? null },
    });
    for (const t of takes) left.delete(t);
  }

  const transitions: CoverTransition[] = edges.map((e) => {
    const seq = sequences.find((s) => s.covers.includes(e.id));
    const base = { id: e.id, from: e.from, to: e.to, trigger: e.trigger, label: e.label, at: e.at };
    if (seq !== undefined) return { ...base, covered: true, sequence: seq.name };
    const reason = !reached.has(e.from)
      ? `reaction '${e.from}' is never reached${unreachableWhy(edges, e.from, reasons)}`
      : (reasons.get(e.id) ?? 'no event sequence found');
    return { ...base, covered: false, reason };
  });
  return {
    valid: true,
    errors: [],
    patternId: pattern.id as string,
    total: edges.length,
    covered: transitions.filter((t) => t.covered).length,
    transitions,
    sequences,
  };
}

/** Steps of a trace produced by the first `inputs` inputs (advances make no step unless a timer fires). */
function countSteps(trace: SimulationTrace, inputs: number): number {
  // Steps carry the delivered event; count those whose event id is one of the first inputs' ids, plus expiries before.
  if (inputs === 0) return 0;
  const ids = new Set<string>();
  let n = 0;
  for (let i = 1; i <= inputs; i++) ids.add(`e${i}`);
  trace.steps.forEach((s, i) => {
    if (s.kind === 'event' && s.event !== undefined && ids.has(s.event.id) && s.note?.startsWith('look-back') !== true)
      n = i + 1;
  });
  return n;
}

function unreachableWhy(edges: PatternEdge[], reaction: string, reasons: Map<string, string>): string {
  const into = edges.filter((e) => e.to === reaction && e.from !== reaction);
  if (into.length === 0) return ' (no transition leads to it)';
  const why = into.map((e) => reasons.get(e.id)).find((r) => r !== undefined);
  return why !== undefined ? `: ${into[0]?.id} — ${why}` : '';
}

function describeEdge(pattern: Pattern, edge: PatternEdge): string {
  if (edge.trigger === 'expiry') return `expiry of '${edge.from}'`;
  const node = edge.node;
  const text = node?.type === 'filter' ? node.xpr : node?.type;
  void pattern;
  return `condition at ${edge.at}: ${text ?? '?'}`;
}

/** `covered / total (pct %)`. */
export function coverageLine(r: Pick<CoverReport, 'covered' | 'total'>): string {
  const pct = r.total === 0 ? 100 : Math.floor((r.covered / r.total) * 1000) / 10;
  return `${r.covered} / ${r.total} transitions covered (${pct} %)`;
}
