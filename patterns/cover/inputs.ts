/** Building the inputs that take one edge: a clock advance for an expiry, solved events for a condition branch. */
import type { Condition, Pattern, ThredsEvent, ThredState } from '../model';
import type { SimulationInput } from '../simulate';
import { sourceAllowed } from '../sources';
import type { PatternEdge } from '../transitions';
import { Draft, Unsolvable } from './draft';
import type { CoverOptions } from './report';
import type { Scenario } from './scenarios';
import { solveCondition } from './solve';
import type { SolveEnv } from './terms';

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
export function inputsFor(ctx: BuildCtx, partialAnd = false): SimulationInput[] {
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
