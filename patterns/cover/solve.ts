/**
 * Constraint solving over one event: makes a condition (and the JSONata expressions in it) come out true or false
 * by constraining the event's fields in a `Draft`, trying each way an `or` (or a false `and`) can go.
 */
import type { Condition } from '../model';
import { Draft, same, show, Unsolvable } from './draft';
import { astOf, describeNode, fnName, type AstNode, type SolveEnv, type Term, termOf } from './terms';

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

/** Makes a condition node true/false for one event (test-like: an `and` needs every operand in this event). */
export function solveCondition(node: Condition, want: boolean, draft: Draft, env: SolveEnv): void {
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
