/**
 * The transitions of a pattern as a list of edges — the one enumeration that the diagram draws (patterns/diagram.ts)
 * and that path coverage counts (patterns/cover.ts), so "every transition" means the same thing in both.
 *
 * An edge is one way of leaving a reaction: each branch of its condition tree (an `or` gives one branch per operand,
 * its own directives overridden field by field; an `and` is one branch with its own directives; a `filter` is one),
 * plus its expiry. The target is a reaction name, or null when the thred ends (`$terminate`, or `$next` after the last
 * reaction). Pure; takes a normalized, valid pattern.
 */
import type { Condition, Pattern, Spawn, Transition } from './model';
import { normalizePattern } from './normalize';

export interface PatternEdge {
  /** Stable and readable: `<from> -> <to|[*]> (<label>)`. */
  id: string;
  from: string;
  /** Target reaction, or null = the thred ends. */
  to: string | null;
  trigger: 'event' | 'expiry';
  /** JSON pointer of the condition node deciding this branch (`/reactions/i/condition/operands/0`), or of the expiry. */
  at: string;
  /** The leaf/and node that must match, for event edges. */
  node?: Condition;
  /** Or-branch positions from the root (`[1]` = second operand of the reaction's or), empty for a plain branch. */
  branch: number[];
  /** The transition as written (`$next` when absent). */
  transition: string;
  input?: 'default' | 'forward' | 'local';
  localName?: string;
  spawn?: Spawn;
  /** Expiry interval (ms), for expiry edges. */
  interval?: number;
  /** Short human label: `$next`, `or 2 · $terminate`, `expiry 60s`, `forward`, … */
  label: string;
}

interface Branch {
  node: Condition;
  at: string;
  branch: number[];
  transition?: Transition;
  spawn?: Spawn;
}

/** Branches of a condition tree, in evaluation order (the first matching or-operand wins). */
function branches(node: Condition, at: string, branch: number[]): Branch[] {
  if (node.type === 'or') {
    return (node.operands ?? []).flatMap((op, i) =>
      branches(op, `${at}/operands/${i}`, [...branch, i]).map((b) => ({
        ...b,
        transition: b.transition ?? node.transition,
        spawn: b.spawn ?? node.spawn,
      })),
    );
  }
  // filter, and: the node's own directives (an and's operand directives are ignored, SPEC §4).
  return [
    {
      node,
      at,
      branch,
      ...(node.transition !== undefined && { transition: node.transition }),
      ...(node.spawn !== undefined && { spawn: node.spawn }),
    },
  ];
}

/** `60000` → `60s`, `3600000` → `1h`, `1500` → `1500ms`. */
export function formatInterval(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Transition names that are not reactions (SPEC §4). */
export const SPECIAL_TARGETS: ReadonlySet<string> = new Set(['$next', '$terminate', '$noTransition']);

/** Whether a transition to `name` can be taken in a pattern with these reactions: a special target or one of them. */
export function isKnownTarget(name: string, reactionNames: { has(name: string): boolean }): boolean {
  return SPECIAL_TARGETS.has(name) || reactionNames.has(name);
}

function target(name: string, from: string, names: string[]): string | null | undefined {
  if (name === '$noTransition') return from;
  if (name === '$terminate') return null;
  if (name === '$next') return names[names.indexOf(from) + 1] ?? null;
  return names.includes(name) ? name : undefined;
}

function inputLabel(t: Transition | undefined): string {
  if (t?.input === 'forward') return 'forward';
  if (t?.input === 'local') return `local ${t.localName ?? ''}`.trim();
  return '';
}

/** Every edge of `pattern` (raw or normalized), reactions in order, branches in evaluation order, expiry last. */
export function patternEdges(input: Pattern | unknown): PatternEdge[] {
  const pattern = normalizePattern(input) as Pattern;
  const names = pattern.reactions.map((r) => r.name as string);
  const edges: PatternEdge[] = [];
  const seen = new Set<string>();
  const push = (e: Omit<PatternEdge, 'id'>): void => {
    let id = `${e.from} -> ${e.to ?? '[*]'} (${e.label})`;
    for (let n = 2; seen.has(id); n++) id = `${e.from} -> ${e.to ?? '[*]'} (${e.label} #${n})`;
    seen.add(id);
    edges.push({ id, ...e });
  };
  pattern.reactions.forEach((reaction, i) => {
    const from = names[i] as string;
    const list = branches(reaction.condition, `/reactions/${i}/condition`, []);
    for (const b of list) {
      const name = b.transition?.name ?? '$next';
      const to = target(name, from, names);
      if (to === undefined) continue; // unknown target: validation reports it
      const parts = [
        ...(b.branch.length > 0 ? [`or ${b.branch.map((k) => k + 1).join('.')}`] : []),
        ...(reaction.condition.type === 'and' && b.branch.length === 0 ? ['and'] : []),
        name.startsWith('$') ? name : 'to',
        ...(inputLabel(b.transition) ? [inputLabel(b.transition)] : []),
      ];
      push({
        from,
        to,
        trigger: 'event',
        at: b.at,
        node: b.node,
        branch: b.branch,
        transition: name,
        ...(b.transition?.input !== undefined && { input: b.transition.input }),
        ...(b.transition?.localName !== undefined && { localName: b.transition.localName }),
        ...(b.spawn !== undefined && { spawn: b.spawn }),
        label: parts.filter((p) => p !== 'to').join(' · ') || 'matched',
      });
    }
    const expiry = reaction.expiry;
    if (expiry !== undefined) {
      const name = expiry.transition?.name ?? '$next';
      const to = target(name, from, names);
      if (to === undefined) return;
      const extra = [name.startsWith('$') ? name : '', inputLabel(expiry.transition)].filter(Boolean);
      push({
        from,
        to,
        trigger: 'expiry',
        at: `/reactions/${i}/expiry`,
        branch: [],
        transition: name,
        interval: expiry.interval,
        ...(expiry.transition?.input !== undefined && { input: expiry.transition.input }),
        ...(expiry.transition?.localName !== undefined && { localName: expiry.transition.localName }),
        label: [`expiry ${formatInterval(expiry.interval)}`, ...extra].join(' · '),
      });
    }
  });
  return edges;
}
