/**
 * Dry-run simulator (SPEC §8 `POST /patterns/simulate`, CLI `threds simulate`): feeds events through one
 * thred of a pattern with no servers, and reports each step's matched reaction, state and effects.
 *
 * Deterministic: ids come from a counter (`sim_1`, `sim_2`, …) and time from the events (`time`), starting
 * at `opts.now` (default 0). Simplifications, documented for authors:
 * - one thred: the first event that starts the pattern creates it (id `<patternId>_<eventId>`); every later
 *   event is delivered to it as a bound event (its `thredId` is filled in);
 * - expiry timers fire when a later event's `time` (or an `{ "advanceMs": n }` entry) passes their due time;
 * - `re: "$outIds.<publishName>"` in an input event is replaced by the id the thred stored under that name,
 *   so agent replies can be written before the ids are known;
 * - plain recipient ids, `$group` members (from `opts.groups`) and `$thred` become participants as the
 *   workflow would record them; agents never do.
 */
import { initialEffects, react, start, expire, addParticipants, agentFor } from './machine';
import { matchStart } from './match';
import type { AgentAddress, Ctx, Effect, ReportItem, Step, ThredsEvent, ThredState } from './model';
import { normalizeEvent } from './normalize';
import { validatePattern } from './validate';

export interface SimulateOptions {
  /** Clock start (ms); events without `time` happen at the current clock. */
  now?: number;
  groups?: Record<string, string[]>;
  agents?: AgentAddress[];
  maxChainSteps?: number;
}

/** An input event, or a pure clock advance (lets expiry timers fire). */
export type SimulationInput = ThredsEvent | { advanceMs: number };

export interface SimulationStep {
  index: number;
  kind: 'event' | 'expiry';
  time: number;
  /** The event as delivered (bound copy), for kind `event`. */
  event?: ThredsEvent;
  /** The fired timer, for kind `expiry`. */
  timer?: { reaction: string; generation: number };
  /** This event started the thred. */
  started: boolean;
  matched: boolean;
  /** Reaction the event matched in, or null. */
  reaction: string | null;
  /** Current reaction before and after the step. */
  from: string | null;
  to: string | null;
  status: ThredState['status'] | null;
  state: ThredState | null;
  effects: Effect[];
  error?: { code: number; message: string };
  note?: string;
}

export interface SimulationTrace {
  valid: boolean;
  errors: ReportItem[];
  warnings: ReportItem[];
  patternId?: string;
  thredId: string | null;
  steps: SimulationStep[];
  final: ThredState | null;
}

interface PendingTimer {
  reaction: string;
  generation: number;
  dueAt: number;
}

function isAdvance(input: SimulationInput): input is { advanceMs: number } {
  return (
    typeof (input as { advanceMs?: unknown }).advanceMs === 'number' && (input as { id?: unknown }).id === undefined
  );
}

/** Addresses the simulator can resolve without sessions: plain ids, `$group` members, `$thred`. */
function resolvedRecipients(to: string[], state: ThredState, opts: SimulateOptions): string[] {
  const out: string[] = [];
  for (const address of to) {
    if (address === '$thred') out.push(...state.participants);
    else if (address === '$all') continue;
    else if (address.startsWith('$')) out.push(...(opts.groups?.[address.slice(1)] ?? []));
    else out.push(address);
  }
  return out.filter((id) => agentFor(id, opts.agents) === undefined);
}

function trackTimers(timers: PendingTimer[], effects: Effect[], now: number): void {
  for (const e of effects) {
    if (e.type === 'timer.start') timers.push({ reaction: e.reaction, generation: e.generation, dueAt: now + e.ms });
    if (e.type === 'timer.cancel') {
      const i = timers.findIndex((t) => t.reaction === e.reaction && t.generation === e.generation);
      if (i >= 0) timers.splice(i, 1);
    }
  }
}

function matchedReaction(step: Step): string | null {
  const log = step.effects.find((e) => e.type === 'thred.log' && e.kind === 'matched');
  return log?.type === 'thred.log' ? (log.reaction ?? log.from) : null;
}

/**
 * Simulates `events` against `pattern` (validated first; an invalid pattern gives no steps).
 * Deterministic for the same inputs. Never throws for bad patterns or events.
 */
export async function simulate(
  pattern: unknown,
  events: SimulationInput[],
  opts: SimulateOptions = {},
): Promise<SimulationTrace> {
  const report = validatePattern(pattern);
  const trace: SimulationTrace = {
    valid: report.valid,
    errors: report.errors,
    warnings: report.warnings,
    thredId: null,
    steps: [],
    final: null,
  };
  if (!report.valid || report.pattern === undefined) return trace;
  const p = report.pattern;
  trace.patternId = p.id;

  let counter = 0;
  let clock = opts.now ?? 0;
  const ctxAt = (now: number): Ctx => ({
    now,
    newId: () => `sim_${++counter}`,
    ...(opts.groups !== undefined && { groups: opts.groups }),
    ...(opts.agents !== undefined && { agents: opts.agents }),
    ...(opts.maxChainSteps !== undefined && { maxChainSteps: opts.maxChainSteps }),
  });
  let state: ThredState | null = null;
  const timers: PendingTimer[] = [];

  const record = (s: Omit<SimulationStep, 'index'>): void => {
    trace.steps.push({ index: trace.steps.length, ...s });
  };
  const afterStep = (step: Step, now: number): ThredState => {
    let next = step.state;
    for (const e of step.effects) {
      if (e.type === 'message.send') next = addParticipants(next, resolvedRecipients(e.message.to, next, opts));
    }
    trackTimers(timers, step.effects, now);
    return next;
  };

  const fireTimersUntil = async (time: number): Promise<void> => {
    timers.sort((a, b) => a.dueAt - b.dueAt);
    while (state !== null && timers.length > 0 && (timers[0] as PendingTimer).dueAt <= time) {
      const timer = timers.shift() as PendingTimer;
      clock = Math.max(clock, timer.dueAt);
      const from: string | null = state.reaction;
      const step = await expire(p, state, { reaction: timer.reaction, generation: timer.generation }, ctxAt(clock));
      state = afterStep(step, clock);
      record({
        kind: 'expiry',
        time: clock,
        timer: { reaction: timer.reaction, generation: timer.generation },
        started: false,
        matched: step.matched,
        reaction: step.matched ? from : null,
        from,
        to: state.reaction,
        status: state.status,
        state,
        effects: step.effects,
        ...(step.error !== undefined && { error: step.error }),
      });
      timers.sort((a, b) => a.dueAt - b.dueAt);
    }
  };

  for (const input of events) {
    if (isAdvance(input)) {
      await fireTimersUntil(clock + input.advanceMs);
      clock += input.advanceMs;
      continue;
    }
    let event = normalizeEvent(input);
    const time = Math.max(clock, event.time ?? clock);
    await fireTimersUntil(time);
    clock = time;
    if (state === null) {
      const m = await matchStart(p, event, ctxAt(clock));
      if (!m.starts) {
        record({
          kind: 'event',
          time: clock,
          event,
          started: false,
          matched: false,
          reaction: null,
          from: null,
          to: null,
          status: null,
          state: null,
          effects: [],
          ...(m.error !== undefined && { error: m.error }),
          note: m.error !== undefined ? 'start test failed' : 'does not start a thred',
        });
        continue;
      }
      const thredId = `${p.id}_${event.id}`;
      trace.thredId = thredId;
      const ctx = ctxAt(clock);
      const fresh = start(p, thredId, ctx);
      const first = initialEffects(p, fresh);
      const bound = { ...event, thredId };
      const step = await react(p, fresh, bound, ctx);
      const effects = [...first, ...step.effects];
      state = afterStep({ ...step, effects }, clock);
      record({
        kind: 'event',
        time: clock,
        event: bound,
        started: true,
        matched: step.matched,
        reaction: matchedReaction(step),
        from: fresh.reaction,
        to: state.reaction,
        status: state.status,
        state,
        effects,
        ...(step.error !== undefined && { error: step.error }),
      });
      continue;
    }
    const current: ThredState = state;
    if (event.thredId !== undefined && event.thredId !== current.thredId) {
      record({
        kind: 'event',
        time: clock,
        event,
        started: false,
        matched: false,
        reaction: null,
        from: current.reaction,
        to: current.reaction,
        status: current.status,
        state: current,
        effects: [],
        note: `bound to another thred (${event.thredId}); skipped`,
      });
      continue;
    }
    const outRef = typeof event.re === 'string' ? /^\$outIds\.(.+)$/.exec(event.re) : null;
    if (outRef !== null) {
      const id = current.outIds[outRef[1] as string];
      event = id !== undefined ? { ...event, re: id } : event;
    }
    const bound = { ...event, thredId: current.thredId };
    const step = await react(p, current, bound, ctxAt(clock));
    state = afterStep(step, clock);
    record({
      kind: 'event',
      time: clock,
      event: bound,
      started: false,
      matched: step.matched,
      reaction: matchedReaction(step),
      from: current.reaction,
      to: state.reaction,
      status: state.status,
      state,
      effects: step.effects,
      ...(step.error !== undefined && { error: step.error }),
    });
  }
  trace.final = state;
  return trace;
}
