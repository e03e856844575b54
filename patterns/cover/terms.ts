/**
 * Reading JSONata ASTs for the solver: what an expression node denotes (a field of the event being drafted,
 * `$isResponseFor`, or a constant taken from the simulated state), or null when the solver does not understand it.
 */
import jsonata from 'jsonata';
import type { ThredsEvent } from '../model';
import { valueNamed } from '../expressions';

export type AstNode = {
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

export type Term =
  { kind: 'path'; path: string[] } | { kind: 'response'; name: string } | { kind: 'const'; value: unknown };

const PATH_ROOTS: Record<string, string[]> = {
  event: [],
  data: ['data'],
  advice: ['data', 'advice'],
  content: ['data', 'content'],
  values: ['data', 'content', 'values'],
};

export interface SolveEnv {
  locals: Record<string, unknown>;
  outIds: Record<string, string>;
  thredId: string | null;
}

export function fnName(node: AstNode): string | undefined {
  if (node.type !== 'function' || node.procedure === undefined) return undefined;
  const p = node.procedure;
  if (p.type === 'variable' && typeof p.value === 'string') return p.value;
  if (p.type === 'path' && p.steps?.length === 1 && p.steps[0]?.type === 'name') return String(p.steps[0].value);
  return undefined;
}

export function literal(node: AstNode): { ok: boolean; value?: unknown } {
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
export function termOf(node: AstNode, env: SolveEnv): Term | null {
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

export function describeNode(node: AstNode): string {
  const fn = fnName(node);
  if (fn !== undefined) return `$${fn}(…)`;
  return `a ${node.type}${node.value !== undefined ? ` '${String(node.value)}'` : ''} expression`;
}

const astCache = new Map<string, AstNode>();
export function astOf(xpr: string): AstNode {
  let ast = astCache.get(xpr);
  if (ast === undefined) {
    ast = jsonata(xpr).ast() as AstNode;
    astCache.set(xpr, ast);
  }
  return ast;
}
