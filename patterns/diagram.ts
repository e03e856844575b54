/**
 * Mermaid `stateDiagram-v2` of a pattern (SPEC §15 "Diagram"): one state per reaction, `[*]` for the start and for
 * the end, one arrow per edge of patterns/transitions.ts (named and `$next` transitions, each or-branch, expiry
 * labelled with its interval), spawns and look-back as notes. With `current`/`visited` (a thred's), the states get
 * `class <name> current` / `class <name> visited`.
 *
 * Deterministic text (same pattern → same bytes), so generated docs can be compared. Pure.
 */
import type { Pattern } from './model';
import { normalizePattern } from './normalize';
import { formatInterval, patternEdges } from './transitions';

export interface DiagramOptions {
  /** The thred's current reaction (null/absent: none, e.g. the thred ended). */
  current?: string | null;
  /** Reactions the thred has been in. */
  visited?: Iterable<string>;
}

// Words Mermaid's state grammar treats specially; a reaction with such a name gets a prefixed id.
const RESERVED = new Set([
  'state',
  'note',
  'end',
  'class',
  'classDef',
  'direction',
  'style',
  'as',
  'left',
  'right',
  'of',
]);

/** Mermaid state ids per reaction: the name itself when it is a plain identifier, else a sanitized unique id. */
export function diagramIds(names: string[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  names.forEach((name, i) => {
    let id =
      /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !RESERVED.has(name)
        ? name
        : `r${i}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    while (used.has(id)) id = `${id}_${i}`;
    used.add(id);
    ids.set(name, id);
  });
  return ids;
}

/** Text that cannot end a Mermaid statement early or open a comment/entity. */
function safe(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[;#:{}"]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export const CURRENT_STYLE = 'fill:#ffe08a,stroke:#b35c00,stroke-width:3px,color:#000';
export const VISITED_STYLE = 'fill:#d4edda,stroke:#2e7d32,color:#000';

/** The diagram of `pattern` (raw or normalized; expected valid), optionally marked with a thred's path. */
export function patternDiagram(input: Pattern | unknown, opts: DiagramOptions = {}): string {
  const pattern = normalizePattern(input) as Pattern;
  const names = pattern.reactions.map((r) => r.name as string);
  const ids = diagramIds(names);
  const id = (name: string) => ids.get(name) as string;
  const lines = ['stateDiagram-v2', `  %% pattern ${safe(pattern.id ?? pattern.name)}: ${safe(pattern.name)}`];

  pattern.reactions.forEach((r) => {
    const name = r.name as string;
    if (id(name) !== name) lines.push(`  state "${safe(name)}" as ${id(name)}`);
  });
  if (names[0] !== undefined) lines.push(`  [*] --> ${id(names[0])}`);

  const edges = patternEdges(pattern);
  for (const e of edges) {
    lines.push(`  ${id(e.from)} --> ${e.to === null ? '[*]' : id(e.to)} : ${safe(e.label)}`);
  }

  pattern.reactions.forEach((r) => {
    const name = r.name as string;
    const notes: string[] = [];
    for (const e of edges) {
      if (e.from !== name || e.spawn === undefined) continue;
      const which = e.branch.length > 0 ? ` (or ${e.branch.map((k) => k + 1).join('.')})` : '';
      notes.push(`spawns ${e.spawn.type ?? 'child'} ${e.spawn.names.join(', ')}${which}`);
    }
    if (r.lookBack !== undefined) notes.push(`look-back ${formatInterval(r.lookBack.interval)}`);
    if (notes.length === 0) return;
    lines.push(`  note right of ${id(name)}`, ...[...new Set(notes)].map((n) => `    ${safe(n)}`), '  end note');
  });

  const current = opts.current ?? null;
  const visited = [...new Set(opts.visited ?? [])].filter((n) => ids.has(n) && n !== current);
  const marked = current !== null && ids.has(current);
  if (marked || visited.length > 0) {
    lines.push(`  classDef current ${CURRENT_STYLE}`, `  classDef visited ${VISITED_STYLE}`);
    // In pattern order, so the text does not depend on the order the log was read in.
    for (const name of names) if (visited.includes(name)) lines.push(`  class ${id(name)} visited`);
    if (marked) lines.push(`  class ${id(current)} current`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Reactions a thred has been in, from its transition log (store thred_log records or `thred.log` effects): every
 * `from` and `to` of a matched/expired/control record, in first-seen order.
 */
export function visitedReactions(log: Iterable<{ kind: string; from: string | null; to: string | null }>): string[] {
  const out = new Set<string>();
  for (const r of log) {
    if (r.kind !== 'matched' && r.kind !== 'expired' && r.kind !== 'control' && r.kind !== 'no_match') continue;
    if (r.from !== null) out.add(r.from);
    if (r.to !== null) out.add(r.to);
  }
  return [...out];
}

/** Content type of the diagram routes. */
export const MERMAID = 'text/vnd.mermaid; charset=utf-8';
