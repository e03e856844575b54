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
import type { Pattern, ThredState } from './model';
import { simulate, type SimulationInput, type SimulationTrace } from './simulate';
import { patternEdges, type PatternEdge } from './transitions';
import { validatePattern } from './validate';
import { Unsolvable } from './cover/draft';
import { inputsFor } from './cover/inputs';
import type { CoverOptions, CoverReport, CoverSequence, CoverTransition } from './cover/report';
import { type Scenario, valueKeys } from './cover/scenarios';
import { countSteps, decisions, firstFailure } from './cover/trace';

export type { CoverOptions, CoverReport, CoverSequence, CoverTransition } from './cover/report';

interface Prefix {
  inputs: SimulationInput[];
  state: ThredState | null;
  /** Edges taken so far. */
  taken: string[];
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
