/**
 * What-if replay (SPEC §15 `POST /threds/:id/replay`): a thred's recorded inputs — its inbound events and agent
 * replies at the times they arrived, timers firing as the clock passes them — run through another pattern in the
 * simulator, and the first decision where that run differs from the thred's real transition log.
 *
 * A decision is one transition record (`matched`, `no_match`, `expired`, `error`: event, from, to). The real ones are
 * the thred log; the simulated ones the same records the same interpreter emits in the simulator, so the same pattern
 * over the same inputs gives the same sequence. Ids the real thred drew (outbound events that replies answer with
 * `re`) differ from the simulator's: an outbound event is paired with the simulated one published by the same step
 * (the step's trigger and its occurrence, then the place among the step's messages and agent calls).
 *
 * Pure (no I/O): the caller reads the store.
 */
import type { Effect, ThredsEvent, ThredState } from './model';
import { simulate, type SimulateOptions, type SimulationStep, type SimulationTrace } from './simulate';
import type { ReportItem } from './model';

/** One transition record, as the thred log holds it (`seq` = the thred's step). */
export interface RealLogRecord {
  seq: number;
  kind: string;
  from: string | null;
  to: string | null;
  eventId?: string;
  reaction?: string;
}

export interface ReplayInput {
  thredId: string;
  /** The event that started the thred (only it may start the simulated one). */
  startEventId: string;
  /** Inbound events (agent replies included) with the time the store received them, in that order. */
  events: { event: ThredsEvent; at: number }[];
  /** The thred's outbound events with the step that published them (`origin`). */
  outbound: { id: string; step: number; ordinal: number }[];
  /** The thred log in step order (records of a step in their order). */
  log: RealLogRecord[];
  /** The clock runs to here after the last event (the thred's end, or now), so due timers fire. */
  until: number;
}

export interface Decision {
  kind: string;
  eventId: string | null;
  from: string | null;
  to: string | null;
}

export interface ReplayResult {
  valid: boolean;
  errors: ReportItem[];
  steps: SimulationStep[];
  final: { status: ThredState['status']; reaction: string | null; locals: Record<string, unknown> } | null;
  diverges: { atEvent: string | null; atStep: number | null; was: Decision | null; now: Decision | null } | null;
}

const DECISION_KINDS = new Set(['matched', 'no_match', 'expired', 'error']);

/** What a step reacted to: an event id, or the n-th timer firing. */
type Trigger = string | { expiry: number };

const triggerKey = (t: Trigger): string => (typeof t === 'string' ? `e:${t}` : `x:${t.expiry}`);

/** Outbound event ids of a simulated step, in the order the workflow stores them: messages, then agent calls. */
function outboundOf(effects: Effect[]): string[] {
  const messages = effects.flatMap((e) => (e.type === 'message.send' ? [e.message.event.id] : []));
  const calls = effects.flatMap((e) => (e.type === 'agent.call' ? [e.message.event.id] : []));
  return [...messages, ...calls];
}

function decisionsOf(step: SimulationStep): Decision[] {
  return step.effects.flatMap((e) =>
    e.type === 'thred.log' && DECISION_KINDS.has(e.kind)
      ? [{ kind: e.kind, eventId: e.eventId ?? null, from: e.from, to: e.to }]
      : [],
  );
}

const same = (a: Decision, b: Decision): boolean =>
  a.kind === b.kind && a.eventId === b.eventId && a.from === b.from && a.to === b.to;

/** Per real step: what it reacted to, and the how-many-th time it reacted to that. */
function realTriggers(log: RealLogRecord[]): Map<number, { key: string; occurrence: number }> {
  const bySeq = new Map<number, Trigger>();
  let expiries = 0;
  for (const r of log) {
    if (bySeq.has(r.seq)) continue;
    if (r.kind === 'expired') bySeq.set(r.seq, { expiry: expiries++ });
    else if (r.eventId !== undefined) bySeq.set(r.seq, r.eventId);
  }
  const seen = new Map<string, number>();
  const out = new Map<number, { key: string; occurrence: number }>();
  for (const [seq, trigger] of [...bySeq].sort((a, b) => a[0] - b[0])) {
    const key = triggerKey(trigger);
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    out.set(seq, { key, occurrence });
  }
  return out;
}

/** The simulated steps for each trigger, in order (pre-start events that started nothing are no steps of the thred). */
function simulatedByTrigger(steps: SimulationStep[]): Map<string, SimulationStep[]> {
  const out = new Map<string, SimulationStep[]>();
  let expiries = 0;
  for (const s of steps) {
    let key: string | undefined;
    if (s.kind === 'expiry') key = triggerKey({ expiry: expiries++ });
    else if (s.event !== undefined && s.state !== null) key = triggerKey(s.event.id);
    if (key === undefined) continue;
    const list = out.get(key) ?? [];
    list.push(s);
    out.set(key, list);
  }
  return out;
}

/**
 * Runs the thred's recorded inputs through `pattern` and compares with the real log. Never throws; an invalid
 * pattern gives `valid: false` and its errors.
 */
export async function replayThred(
  pattern: unknown,
  input: ReplayInput,
  opts: Pick<SimulateOptions, 'groups' | 'agents' | 'maxChainSteps'> = {},
): Promise<ReplayResult> {
  const arrivals = new Map(input.events.map(({ event, at }) => [event.id, at]));
  const triggers = realTriggers(input.log);
  const realOut = new Map(input.outbound.map((o) => [o.id, o]));

  /** A `re` naming a real outbound event → the simulated event published in its place, when there is one. */
  const translate = (event: ThredsEvent, trace: SimulationTrace): ThredsEvent => {
    const origin = event.re === undefined ? undefined : realOut.get(event.re);
    const trigger = origin && triggers.get(origin.step);
    if (!origin || !trigger) return event;
    const step = simulatedByTrigger(trace.steps).get(trigger.key)?.[trigger.occurrence];
    const id = step && outboundOf(step.effects)[origin.ordinal];
    return id === undefined ? event : { ...event, re: id };
  };

  const first = input.events[0]?.at ?? input.until;
  const last = input.events[input.events.length - 1]?.at ?? first;
  const trace = await simulate(
    pattern,
    [...input.events.map((e) => e.event), ...(input.until > last ? [{ advanceMs: input.until - last }] : [])],
    {
      ...opts,
      now: first,
      startEventId: input.startEventId,
      thredId: input.thredId,
      arrival: (event) => arrivals.get(event.id),
      beforeDeliver: translate,
    },
  );
  if (!trace.valid) return { valid: false, errors: trace.errors, steps: [], final: null, diverges: null };

  // Agent failures reach the thred as no event (their error record names the request, an outbound event).
  const was: Decision[] = input.log
    .filter((r) => DECISION_KINDS.has(r.kind) && !(r.eventId !== undefined && realOut.has(r.eventId)))
    .map((r) => ({ kind: r.kind, eventId: r.eventId ?? null, from: r.from, to: r.to }));
  const now: { decision: Decision; step: number }[] = trace.steps.flatMap((s) =>
    decisionsOf(s).map((decision) => ({ decision, step: s.index })),
  );

  let diverges: ReplayResult['diverges'] = null;
  for (let i = 0; i < Math.max(was.length, now.length); i++) {
    const real = was[i];
    const sim = now[i];
    if (real !== undefined && sim !== undefined && same(real, sim.decision)) continue;
    diverges = {
      atEvent: (real ?? sim?.decision)?.eventId ?? null,
      atStep: sim?.step ?? null,
      was: real ?? null,
      now: sim?.decision ?? null,
    };
    break;
  }
  const f = trace.final;
  return {
    valid: true,
    errors: [],
    steps: trace.steps,
    final: f === null ? null : { status: f.status, reaction: f.reaction, locals: f.locals },
    diverges,
  };
}
