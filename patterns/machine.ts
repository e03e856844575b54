/**
 * The thred state machine: `start`, `initialEffects`, `react`, `expire`, `addParticipants`.
 *
 * Functional core: each function takes (pattern, state, input, ctx) and returns the next state plus the
 * effects the shell must run, in list order (`thred.end`, when present, is always last). Nothing here
 * performs I/O, reads a clock or draws randomness; time and ids come from `ctx`. Expected failures
 * (bad expressions, refused events, over-long chains) are returned as data — `react` and `expire` never
 * throw, and on failure they return the pre-event state object unchanged with an `error` effect.
 *
 * Order on a match (SPEC §4): allowedSources → condition (+onTrue) → transform → publish (`to`, then
 * onPublish) → echo → transition → dispatch → spawn.
 */
import { evaluateCondition, type Directives } from './conditions';
import { errorEffect, ErrorCodes, EventTypes, logEffect, message, systemEvent } from './effects';
import { ThredError } from './errors';
import { type EvalScope, evaluateExpression, ExpressionError } from './expressions';
import type {
  AgentAddress,
  Ctx,
  Effect,
  Spawn,
  StartOptions,
  Step,
  ThredsEvent,
  ThredState,
  Transition,
} from './model';
import { cloneJson, normalizeEvent, patternIdFromName } from './normalize';
import { type NamedReaction, type PatternRuntime, reactionNamed, runtimeOf } from './runtime';
import { sourceAllowed } from './sources';
import { renderAddresses, renderTransform, type Run } from './template';
import type { Pattern } from './model';
import { isRecord } from './json';

/** Default bound on forward/local transition chains. */
export const DEFAULT_MAX_CHAIN_STEPS = 100;

/** Mutable working copy for one call; discarded on failure so the caller's state stays untouched. */
interface Work {
  rt: PatternRuntime;
  ctx: Ctx;
  state: ThredState;
  effects: Effect[];
  ended: boolean;
  /** The timer that fired (expire only): leaving its reaction needs no timer.cancel. */
  firedTimer?: { reaction: string; generation: number };
}

/** The agent an address names (by nodeType or one of its nodeIds), if any. */
export function agentFor(address: string, agents: AgentAddress[] | undefined): AgentAddress | undefined {
  return agents?.find((a) => a.nodeType === address || (a.nodeIds?.includes(address) ?? false));
}

function isEventLike(value: unknown): value is ThredsEvent {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.type === 'string' &&
    isRecord(value.source) &&
    typeof value.source.id === 'string'
  );
}

function reactionPath(rt: PatternRuntime, name: string): string {
  return `/reactions/${rt.indexOf.get(name) ?? '?'}`;
}

// -------------------------------------------------------------------------------------------------------------
// start / initialEffects / addParticipants
// -------------------------------------------------------------------------------------------------------------

/**
 * Creates the initial state of a thred sitting in `reactions[0]` (generation 1). Pure; does not apply any
 * event — the shell calls `react` with the creating event next, and runs `initialEffects` for the expiry timer.
 */
export function start(pattern: Pattern, thredId: string, ctx: Ctx, opts: StartOptions = {}): ThredState {
  const rt = runtimeOf(pattern);
  const first = rt.reactions[0];
  const state: ThredState = {
    thredId,
    patternId: rt.pattern.id,
    status: 'active',
    reaction: first?.name ?? null,
    reactionGeneration: 1,
    reactionEnteredAt: ctx.now,
    andState: {},
    locals: cloneJson(opts.locals ?? {}),
    participants: [...new Set(opts.participants ?? [])],
    outIds: {},
    childThredIds: [],
    meta: { label: rt.pattern.name },
    startTime: ctx.now,
    updateTime: ctx.now,
    seq: 0,
  };
  if (opts.parentThredId !== undefined) state.parentThredId = opts.parentThredId;
  if (opts.spawnType !== undefined) state.spawnType = opts.spawnType;
  return state;
}

/** Effects owed for a freshly started state: `timer.start` when the initial reaction has an expiry. Pure. */
export function initialEffects(pattern: Pattern, state: ThredState): Effect[] {
  const reaction = reactionNamed(runtimeOf(pattern), state.reaction);
  if (state.status !== 'active' || reaction?.expiry === undefined) return [];
  return [
    {
      type: 'timer.start',
      reaction: reaction.name,
      generation: state.reactionGeneration,
      ms: reaction.expiry.interval,
    },
  ];
}

/** Adds resolved recipient ids to the participant list (dedup, order kept). Pure; the caller excludes agents. */
export function addParticipants(state: ThredState, ids: string[]): ThredState {
  const participants = [...new Set([...state.participants, ...ids])];
  return participants.length === state.participants.length ? state : { ...state, participants };
}

// -------------------------------------------------------------------------------------------------------------
// Errors as data
// -------------------------------------------------------------------------------------------------------------

function classify(err: unknown): { code: number; title: string; message: string } {
  if (err instanceof ThredError) return { code: err.code, title: err.title, message: err.message };
  if (err instanceof ExpressionError) return { code: err.code, title: 'Expression error', message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: ErrorCodes.SERVER_ERROR, title: 'Internal error', message };
}

/** Failed step: the untouched pre-event state, an `error` effect (to the sender, or `$thred`) and a log record. */
function errorStep(pre: ThredState, ctx: Ctx, err: unknown, event: ThredsEvent | undefined): Step {
  const { code, title, message: text } = classify(err);
  const sender = event?.source?.id;
  // Error events never go to agents (SPEC §9): failures caused by agents, timers or SYSTEM go to the thred.
  const toSender = sender !== undefined && sender !== 'SYSTEM' && agentFor(sender, ctx.agents) === undefined;
  const effects: Effect[] = [
    errorEffect(ctx, {
      scope: toSender ? 'sender' : 'thred',
      code,
      title,
      message: text,
      thredId: pre.thredId,
      re: event?.id,
      senderId: sender,
    }),
    logEffect('error', pre.reaction, pre.reaction, { eventId: event?.id, detail: `${code} ${title}: ${text}` }),
  ];
  return { state: pre, effects, matched: false, error: { code, message: text } };
}

// -------------------------------------------------------------------------------------------------------------
// Transitions
// -------------------------------------------------------------------------------------------------------------

function leave(work: Work): void {
  const { state } = work;
  const current = reactionNamed(work.rt, state.reaction);
  if (current?.expiry === undefined) return;
  const fired = work.firedTimer;
  if (fired !== undefined && fired.reaction === current.name && fired.generation === state.reactionGeneration) return;
  work.effects.push({ type: 'timer.cancel', reaction: current.name, generation: state.reactionGeneration });
}

/** Entering a reaction (even the same one) resets its and-state and expiry clock. */
function enter(work: Work, target: NamedReaction): void {
  const { state, ctx } = work;
  leave(work);
  state.reaction = target.name;
  state.reactionGeneration += 1;
  state.reactionEnteredAt = ctx.now;
  state.andState = {};
  if (target.expiry !== undefined) {
    work.effects.push({
      type: 'timer.start',
      reaction: target.name,
      generation: state.reactionGeneration,
      ms: target.expiry.interval,
    });
  }
}

function end(work: Work): void {
  const { state, ctx } = work;
  leave(work);
  state.reaction = null;
  state.andState = {};
  state.status = work.rt.pattern.broadcastAllowed === true ? 'finished' : 'terminated';
  state.endTime = ctx.now;
  work.ended = true;
}

/** Applies a transition (absent = `$next`). `$noTransition` keeps the reaction, its and-state and its timer. */
function transitionTo(work: Work, transition: Transition | undefined, from: NamedReaction): void {
  const name = transition?.name ?? '$next';
  if (name === '$noTransition') return;
  if (name === '$terminate') return end(work);
  if (name === '$next') {
    const next = work.rt.reactions[(work.rt.indexOf.get(from.name) ?? -1) + 1];
    return next === undefined ? end(work) : enter(work, next);
  }
  const target = reactionNamed(work.rt, name);
  if (target === undefined) {
    throw new ThredError(
      ErrorCodes.SERVER_ERROR,
      'Unknown transition target',
      `reaction '${from.name}' transitions to unknown reaction '${name}'`,
    );
  }
  enter(work, target);
}

/** The stored event a `local` input names. */
function storedEvent(work: Work, localName: string | undefined, where: string): ThredsEvent {
  if (localName === undefined) {
    throw new ThredError(ErrorCodes.SERVER_ERROR, 'Missing localName', `${where}: input 'local' needs a localName`);
  }
  const value = work.state.locals[localName];
  if (!isEventLike(value)) {
    throw new ThredError(
      ErrorCodes.SERVER_ERROR,
      'Missing local event',
      `${where}: local '${localName}' does not hold an event`,
    );
  }
  return cloneJson(value);
}

/** Next input of a chain: forward = same event, local = stored event, default = none; none once ended. */
function nextInput(
  work: Work,
  transition: Transition | undefined,
  input: ThredsEvent,
  where: string,
): ThredsEvent | undefined {
  if (work.ended || transition === undefined) return undefined;
  if (transition.input === 'forward') return input;
  if (transition.input === 'local') return storedEvent(work, transition.localName, where);
  return undefined;
}

// -------------------------------------------------------------------------------------------------------------
// Applying one input to the current reaction
// -------------------------------------------------------------------------------------------------------------

function runner(work: Work, scope: EvalScope, reaction: NamedReaction): Run {
  const base = reactionPath(work.rt, reaction.name);
  return (source, where) => {
    try {
      return evaluateExpression(source, scope, work.rt.cache);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      const shown = source.length > 200 ? `${source.slice(0, 200)}…` : source;
      throw new ThredError(
        ErrorCodes.SERVER_ERROR,
        'Expression error',
        `reaction '${reaction.name}' ${base}${where}: ${err.message} in expression \`${shown.trim()}\``,
      );
    }
  };
}

function flushLogs(work: Work, scope: EvalScope, reaction: string, eventId: string | undefined): void {
  for (const line of scope.logs)
    work.effects.push(logEffect('log', reaction, reaction, { eventId, reaction, detail: line }));
  scope.logs.length = 0;
}

function isSystemOrAgent(id: string, ctx: Ctx): boolean {
  return id === 'SYSTEM' || agentFor(id, ctx.agents) !== undefined;
}

/** echoResponses: an answer's values go to the other participants as org.wt.broadcast (re = answer's re). */
function echo(work: Work, input: ThredsEvent): void {
  const { state, ctx } = work;
  const sender = input.source.id;
  const recipients = state.participants.filter((p) => p !== sender);
  if (recipients.length === 0) return;
  const values = input.data?.content?.values;
  const payload: Record<string, unknown> = isRecord(values)
    ? cloneJson(values)
    : values === undefined
      ? {}
      : { values: cloneJson(values) };
  payload.messageSource = cloneJson(input.source);
  const event = systemEvent(
    ctx,
    state.thredId,
    { title: `Action by ${sender}`, content: { valuesType: 'broadcastValues', values: payload } },
    input.re !== undefined ? { type: EventTypes.broadcast, re: input.re } : { type: EventTypes.broadcast },
  );
  work.effects.push({ type: 'message.send', message: message(ctx, recipients, event), senderId: sender });
}

/** Splits recipients into agent calls and one message.send; records the triggering sender as a participant. */
function dispatch(work: Work, outbound: ThredsEvent, to: string[], senderId: string): void {
  const { state, ctx } = work;
  const people = to.filter((a) => agentFor(a, ctx.agents) === undefined);
  if (people.length > 0) {
    work.effects.push({ type: 'message.send', message: message(ctx, people, outbound), senderId });
  }
  for (const address of to) {
    const agent = agentFor(address, ctx.agents);
    if (agent === undefined) continue;
    const call: Effect = {
      type: 'agent.call',
      nodeType: agent.nodeType,
      message: message(ctx, [address], outbound),
      senderId,
    };
    if (address !== agent.nodeType) call.nodeId = address;
    work.effects.push(call);
  }
  if (!isSystemOrAgent(senderId, ctx) && !state.participants.includes(senderId)) state.participants.push(senderId);
}

function spawn(work: Work, directive: Spawn, input: ThredsEvent, where: string): void {
  const { state, ctx } = work;
  const spawnType = directive.type ?? 'child';
  const inputMode = directive.input ?? 'default';
  const thredIds = directive.names.map((name) => `${patternIdFromName(name)}_${ctx.newId()}`);
  const effect: Effect = {
    type: 'thred.spawn',
    patternIds: [...directive.names],
    thredIds,
    parentThredId: state.thredId,
    spawnType,
    input: inputMode,
  };
  if (inputMode === 'forward') effect.event = cloneJson(input);
  if (inputMode === 'local') effect.event = storedEvent(work, directive.localName, where);
  if (directive.context === true) {
    effect.locals = cloneJson(state.locals);
    effect.participants = [...state.participants];
  }
  if (spawnType === 'child') state.childThredIds.push(...thredIds);
  work.effects.push(effect);
}

function updateMeta(work: Work, input: ThredsEvent): void {
  const { meta } = work.state;
  const data = input.data;
  const label = data?.title || meta.label || work.rt.pattern.name;
  meta.label = label;
  meta.description = data?.description || input.type;
  if (data?.display?.uri) meta.displayUri = data.display.uri;
}

/** Applies `input` to the current reaction. Returns whether it matched and the chained next input, if any. */
function applyReaction(work: Work, input: ThredsEvent): { matched: boolean; next?: ThredsEvent } {
  const { rt, ctx, state } = work;
  const reaction = reactionNamed(rt, state.reaction);
  if (state.status !== 'active' || reaction === undefined) return { matched: false };
  const from = reaction.name;

  if (!sourceAllowed(reaction.allowedSources, input.source.id, ctx.groups)) {
    work.effects.push(
      logEffect('no_match', from, from, {
        eventId: input.id,
        reaction: from,
        detail: `source '${input.source.id}' not allowed`,
      }),
    );
    return { matched: false };
  }

  const scope: EvalScope = {
    event: input,
    thredId: state.thredId,
    locals: state.locals,
    outIds: state.outIds,
    now: ctx.now,
    logs: [],
  };
  const run = runner(work, scope, reaction);
  const result: Directives | null = evaluateCondition(reaction.condition, '/condition', {
    mode: 'apply',
    run,
    andState: state.andState,
  });
  if (result === null) {
    flushLogs(work, scope, from, input.id);
    work.effects.push(logEffect('no_match', from, from, { eventId: input.id, reaction: from }));
    return { matched: false };
  }

  // transform → publish (to, then onPublish)
  let outbound: ThredsEvent | undefined;
  if (result.transform !== undefined) {
    const { data, re } = renderTransform(result.transform, result.at.transform ?? '/condition/transform', run);
    outbound = systemEvent(ctx, state.thredId, data, re !== undefined ? { re } : {});
  }
  let to: string[] = [];
  if (result.publish !== undefined) {
    const at = result.at.publish ?? '/condition/publish';
    to = renderAddresses(result.publish, at, run, rt.pattern.broadcastAllowed === true);
    if (outbound !== undefined) {
      if (result.publish.name !== undefined) state.outIds[result.publish.name] = outbound.id;
      if (result.publish.onPublish?.xpr !== undefined) {
        scope.outboundEvent = outbound;
        run(result.publish.onPublish.xpr, `${at}/onPublish/xpr`);
        scope.outboundEvent = undefined;
      }
    }
  }
  flushLogs(work, scope, from, input.id);

  // echo → transition (+ meta) → dispatch → spawn
  if (rt.pattern.echoResponses === true && input.type === EventTypes.clientTell) echo(work, input);
  transitionTo(work, result.transition, reaction);
  updateMeta(work, input);
  work.effects.push(logEffect('matched', from, state.reaction, { eventId: input.id, reaction: from }));
  if (outbound !== undefined && to.length > 0) dispatch(work, outbound, to, input.source.id);
  const base = reactionPath(rt, from);
  if (result.spawn !== undefined) spawn(work, result.spawn, input, `${base}${result.at.spawn ?? ''}`);

  const next = nextInput(work, result.transition, input, `${base}${result.at.transition ?? ''}`);
  return next === undefined ? { matched: true } : { matched: true, next };
}

/** Runs `input` and whatever forward/local inputs it chains to, bounded by ctx.maxChainSteps. */
function runChain(work: Work, input: ThredsEvent, stepsTaken: number): boolean {
  const max = work.ctx.maxChainSteps ?? DEFAULT_MAX_CHAIN_STEPS;
  let steps = stepsTaken;
  let current: ThredsEvent | undefined = input;
  let firstMatched: boolean | undefined;
  while (current !== undefined) {
    steps += 1;
    if (steps > max) {
      throw new ThredError(
        ErrorCodes.SERVER_ERROR,
        'Transition chain too long',
        `transition chain exceeded ${max} steps (at reaction '${work.state.reaction}')`,
      );
    }
    const r: { matched: boolean; next?: ThredsEvent } = applyReaction(work, current);
    firstMatched ??= r.matched;
    current = r.next;
  }
  return firstMatched ?? false;
}

function newWork(rt: PatternRuntime, ctx: Ctx, state: ThredState): Work {
  return { rt, ctx, state: cloneJson(state), effects: [], ended: false };
}

function finish(work: Work): Step['effects'] {
  if (work.ended && work.state.status !== 'active') {
    work.effects.push({ type: 'thred.end', status: work.state.status });
  }
  return work.effects;
}

// -------------------------------------------------------------------------------------------------------------
// react / expire
// -------------------------------------------------------------------------------------------------------------

function refuseInactive(state: ThredState): never {
  throw new ThredError(
    ErrorCodes.THRED_DOES_NOT_EXIST,
    'Thred is not active',
    `thred '${state.thredId}' is ${state.status} and accepts no further events`,
  );
}

/** Built-in org.wt.client.broadcast (SPEC §5): relays values.message to the other participants; no transition. */
function broadcast(rt: PatternRuntime, state: ThredState, event: ThredsEvent, ctx: Ctx): Step {
  const sender = event.source.id;
  if (rt.pattern.broadcastAllowed !== true) {
    throw new ThredError(
      ErrorCodes.UNAUTHORIZED,
      'Broadcast not allowed',
      `pattern '${rt.pattern.id}' does not allow broadcasts`,
    );
  }
  if (!state.participants.includes(sender)) {
    throw new ThredError(
      ErrorCodes.UNAUTHORIZED,
      'Not a thred participant',
      `'${sender}' is not a participant of thred '${state.thredId}'`,
    );
  }
  const values = event.data?.content?.values;
  if (!isRecord(values) || values.message === undefined || values.message === null || values.message === '') {
    throw new ThredError(
      ErrorCodes.MISSING_ARGUMENT,
      'Missing argument',
      'broadcast needs data.content.values.message',
    );
  }
  const next: ThredState = { ...cloneJson(state), seq: state.seq + 1, updateTime: ctx.now };
  const effects: Effect[] = [];
  const recipients = state.participants.filter((p) => p !== sender);
  if (recipients.length > 0) {
    const out = systemEvent(
      ctx,
      state.thredId,
      {
        title: `Message from ${sender}`,
        content: {
          valuesType: 'broadcastMessage',
          values: { ...cloneJson(values), messageSource: cloneJson(event.source) },
        },
      },
      { type: EventTypes.broadcast, re: event.id },
    );
    effects.push({ type: 'message.send', message: message(ctx, recipients, out), senderId: sender });
  }
  effects.push(logEffect('matched', state.reaction, state.reaction, { eventId: event.id, detail: 'broadcast' }));
  return { state: next, effects, matched: true };
}

/** An event reporting a failure (data.content.error): notify the thred, leave the state as it was. */
function reportedError(state: ThredState, event: ThredsEvent, ctx: Ctx): Step {
  const reported = event.data?.content?.error;
  const code = typeof reported?.code === 'number' ? reported.code : ErrorCodes.TASK_ERROR;
  const text = typeof reported?.message === 'string' && reported.message !== '' ? reported.message : 'error reported';
  const effects: Effect[] = [
    errorEffect(ctx, {
      scope: 'thred',
      code,
      title: `Error reported by ${event.source.id}`,
      message: text,
      thredId: state.thredId,
      re: event.id,
    }),
    logEffect('error', state.reaction, state.reaction, { eventId: event.id, detail: `${code}: ${text}` }),
  ];
  return { state, effects, matched: false, error: { code, message: text } };
}

/**
 * Applies one event to a thred. Pure and deterministic given `ctx`; never throws.
 * - terminated thred → refused (5203, to the sender); finished thred → only the built-in broadcast is accepted;
 * - `data.content.error` present → `error` effect scoped to the thred, state unchanged;
 * - otherwise the event runs through the current reaction and any forward/local chain it triggers.
 * On failure (expression error, unknown target, chain over bound) the returned state is the `state`
 * argument itself and `effects` holds only the error report.
 */
export function react(pattern: Pattern, state: ThredState, event: ThredsEvent, ctx: Ctx): Step {
  let input: ThredsEvent | undefined;
  try {
    input = normalizeEvent(event);
    const rt = runtimeOf(pattern);
    if (state.status === 'terminated') refuseInactive(state);
    if (input.type === EventTypes.clientBroadcast) return broadcast(rt, state, input, ctx);
    if (state.status === 'finished') refuseInactive(state);
    if (input.data?.content?.error !== undefined && input.data.content.error !== null)
      return reportedError(state, input, ctx);

    const work = newWork(rt, ctx, state);
    work.state.seq += 1;
    work.state.updateTime = ctx.now;
    const matched = runChain(work, input, 0);
    return { state: work.state, effects: finish(work), matched };
  } catch (err) {
    return errorStep(state, ctx, err, input ?? (isEventLike(event) ? event : undefined));
  }
}

/**
 * Handles a fired expiry timer. Stale timers (thred not active, reaction left, generation changed) give a
 * no-op step. Otherwise takes `expiry.transition` (default: next reaction) with no input event: `forward`
 * does nothing, `local` replays the stored event into the new reaction. `$noTransition` leaves the thred
 * where it is (no new timer). Pure; never throws.
 */
export function expire(
  pattern: Pattern,
  state: ThredState,
  timer: { reaction: string; generation: number },
  ctx: Ctx,
): Step {
  const noop: Step = { state, effects: [], matched: false };
  if (state.status !== 'active' || state.reaction !== timer.reaction || state.reactionGeneration !== timer.generation) {
    return noop;
  }
  try {
    const rt = runtimeOf(pattern);
    const reaction = reactionNamed(rt, state.reaction);
    if (reaction?.expiry === undefined) return noop;
    const work = newWork(rt, ctx, state);
    work.firedTimer = timer;
    work.state.updateTime = ctx.now;
    const transition = reaction.expiry.transition;
    transitionTo(work, transition, reaction);
    work.effects.push(logEffect('expired', reaction.name, work.state.reaction, { reaction: reaction.name }));
    if (!work.ended && transition?.input === 'local') {
      const where = `${reactionPath(rt, reaction.name)}/expiry/transition`;
      runChain(work, storedEvent(work, transition.localName, where), 1);
    }
    return { state: work.state, effects: finish(work), matched: true };
  } catch (err) {
    return errorStep(state, ctx, err, undefined);
  }
}

// -------------------------------------------------------------------------------------------------------------
// Shell-originated inputs: agent failure, admin terminate / transition
// -------------------------------------------------------------------------------------------------------------

/**
 * An agent call whose retries are exhausted (SPEC §6): the thred's participants get an error event
 * (code 5200, re = the request event's id); the state is unchanged. Pure; never throws.
 */
export function agentFailure(
  _pattern: Pattern,
  state: ThredState,
  request: { event: ThredsEvent },
  error: string,
  ctx: Ctx,
): Step {
  const text = error === '' ? 'agent call failed' : error;
  const effects: Effect[] = [
    errorEffect(ctx, {
      scope: 'thred',
      code: ErrorCodes.TASK_ERROR,
      title: `Agent call failed: ${request.event.data?.title ?? request.event.type}`,
      message: text,
      thredId: state.thredId,
      re: request.event.id,
    }),
    logEffect('error', state.reaction, state.reaction, {
      eventId: request.event.id,
      detail: `${ErrorCodes.TASK_ERROR}: ${text}`,
    }),
  ];
  return { state, effects, matched: false, error: { code: ErrorCodes.TASK_ERROR, message: text } };
}

/**
 * Admin terminate (SPEC §8): always ends in `terminated` (even a finished thred), cancelling the current
 * reaction's timer. Already-terminated threds give a no-op step. Pure; never throws.
 */
export function terminateThred(pattern: Pattern, state: ThredState, reason: string, ctx: Ctx): Step {
  if (state.status === 'terminated') return { state, effects: [], matched: false };
  const work = newWork(runtimeOf(pattern), ctx, state);
  const from = work.state.reaction;
  leave(work);
  Object.assign(work.state, {
    reaction: null,
    andState: {},
    status: 'terminated',
    endTime: ctx.now,
    updateTime: ctx.now,
  });
  work.ended = true;
  work.effects.push(logEffect('control', from, null, { detail: `terminated: ${reason}` }));
  return { state: work.state, effects: finish(work), matched: true };
}

/**
 * Admin transition (SPEC §8): takes `transition` from the current reaction as if it had matched, with no
 * input event (`forward` does nothing, `local` replays the stored event). Refused (5203) unless active.
 * Pure; never throws.
 */
export function forceTransition(pattern: Pattern, state: ThredState, transition: Transition, ctx: Ctx): Step {
  try {
    if (state.status !== 'active') refuseInactive(state);
    const rt = runtimeOf(pattern);
    const reaction = reactionNamed(rt, state.reaction);
    if (reaction === undefined) refuseInactive(state);
    const work = newWork(rt, ctx, state);
    work.state.updateTime = ctx.now;
    transitionTo(work, transition, reaction);
    work.effects.push(
      logEffect('control', reaction.name, work.state.reaction, { detail: `transition ${transition.name}` }),
    );
    if (!work.ended && transition.input === 'local') {
      runChain(work, storedEvent(work, transition.localName, 'transition'), 1);
    }
    return { state: work.state, effects: finish(work), matched: true };
  } catch (err) {
    return errorStep(state, ctx, err, undefined);
  }
}
