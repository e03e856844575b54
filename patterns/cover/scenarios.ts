/**
 * Keys read with `$valueNamed`, and the literals they are compared with: each literal gives the walk another
 * scenario, so a value stored early can decide a branch later.
 */
import type { Condition, Pattern } from '../model';
import { astOf, fnName, literal, type AstNode } from './terms';

export interface Scenario {
  /** Placeholder values for `$valueNamed` keys (soft: constraints override them). */
  fills: Record<string, unknown>;
}

/** Keys read with `$valueNamed('k'…)` anywhere in the pattern, and the literals each is compared with. */
export function valueKeys(pattern: Pattern): { keys: string[]; literals: [string, unknown][] } {
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
