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
 *   workflow would record them; agents never do;
 * - look-back (`reaction.lookBack`): on entering such a reaction, earlier inputs that arrived within the window and
 *   that no step matched or failed on (events bound to the thred, or unbound from its participants — e.g. ones that
 *   came before the thred started) are delivered again, oldest first, before the next input (note `look-back …`).
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
  /** When an event arrived, if not its `time` (what-if replay: when the store received it). */
  arrival?: (event: ThredsEvent) => number | undefined;
  /** Rewrites an event just before it is delivered (what-if replay maps ids of the real thred to the simulation's). */
  beforeDeliver?: (event: ThredsEvent, trace: SimulationTrace) => ThredsEvent;
  /** Only this event may start the thred; earlier ones are kept for look-back (what-if replay: the creating event). */
  startEventId?: string;
  /** The simulated thred's id (default `<patternId>_<eventId>`; what-if replay: the real thred's). */
  thredId?: string;
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
      await lookBackIfDue();
      timers.sort((a, b) => a.dueAt - b.dueAt);
    }
  };

  // Look-back (SPEC §15): every event taken so far with the time it arrived, and the ids the thred handled
  // (a matched or failed step); the generation of the entry last looked back for.
  const arrived: { event: ThredsEvent; at: number }[] = [];
  const handled = new Set<string>();
  const offering = new Set<string>();
  let lookedBack = 0;
  const noteHandled = (effects: Effect[]): void => {
    for (const e of effects) {
      if (e.type === 'thred.log' && (e.kind === 'matched' || e.kind === 'error') && e.eventId !== undefined) {
        handled.add(e.eventId);
      }
    }
  };

  /** On entering a reaction with `lookBack`, offers the window's unhandled events again, oldest first. */
  const lookBackIfDue = async (): Promise<void> => {
    const current = state;
    if (current === null || current.status !== 'active' || current.reactionGeneration === lookedBack) return;
    const interval = p.reactions.find((r) => r.name === current.reaction)?.lookBack?.interval;
    if (interval === undefined) return;
    lookedBack = current.reactionGeneration;
    const since = current.reactionEnteredAt - interval;
    const offered = arrived.filter(
      ({ event, at }) =>
        at >= since &&
        !handled.has(event.id) &&
        !offering.has(event.id) &&
        (event.thredId === current.thredId || current.participants.includes(event.source.id)),
    );
    offered.forEach(({ event }) => offering.add(event.id));
    for (const { event } of offered) {
      offering.delete(event.id);
      if (state?.status !== 'active') break;
      await deliver(
        event,
        `look-back (arrived ${clock - (arrived.find((a) => a.event === event)?.at ?? clock)} ms before)`,
      );
    }
  };

  /** One event to the running thred (the simulator binds it), then a look-back when it entered such a reaction. */
  const deliver = async (input: ThredsEvent, note?: string): Promise<void> => {
    const current = state as ThredState;
    let event = input;
    const outRef = typeof event.re === 'string' ? /^\$outIds\.(.+)$/.exec(event.re) : null;
    if (outRef !== null) {
      const id = current.outIds[outRef[1] as string];
      event = id !== undefined ? { ...event, re: id } : event;
    }
    const bound = event.thredId === undefined && note !== undefined ? event : { ...event, thredId: current.thredId };
    const step = await react(p, current, bound, ctxAt(clock));
    state = afterStep(step, clock);
    noteHandled(step.effects);
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
      ...(note !== undefined && { note }),
    });
    await lookBackIfDue();
  };

  for (const input of events) {
    if (isAdvance(input)) {
      await fireTimersUntil(clock + input.advanceMs);
      clock += input.advanceMs;
      continue;
    }
    let event = normalizeEvent(input);
    const time = Math.max(clock, opts.arrival?.(event) ?? event.time ?? clock);
    await fireTimersUntil(time);
    clock = time;
    if (opts.beforeDeliver !== undefined) event = opts.beforeDeliver(event, trace);
    if (state === null) {
      const m =
        opts.startEventId !== undefined && event.id !== opts.startEventId
          ? { starts: false }
          : await matchStart(p, event, ctxAt(clock));
      if (!m.starts) {
        arrived.push({ event, at: clock });
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
      const thredId = opts.thredId ?? `${p.id}_${event.id}`;
      trace.thredId = thredId;
      const ctx = ctxAt(clock);
      const fresh = start(p, thredId, ctx);
      const first = initialEffects(p, fresh);
      const bound = { ...event, thredId };
      arrived.push({ event: bound, at: clock });
      const step = await react(p, fresh, bound, ctx);
      const effects = [...first, ...step.effects];
      state = afterStep({ ...step, effects }, clock);
      noteHandled(effects);
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
      await lookBackIfDue();
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
    arrived.push({ event: { ...event, thredId: current.thredId }, at: clock });
    await deliver(event);
  }
  trace.final = state;
  return trace;
}
