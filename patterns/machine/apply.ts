/**
 * Applying one input to the current reaction, in SPEC §4 order, and running the forward/local chain it starts.
 */
import { evaluateCondition, type Directives } from '../conditions';
import { ErrorCodes, EventTypes, logEffect, message, systemEvent } from '../effects';
import { ThredError } from '../errors';
import { type EvalScope, evaluateExpression, ExpressionError } from '../expressions';
import { isRecord } from '../json';
import type { Ctx, Effect, Spawn, ThredsEvent } from '../model';
import { cloneJson, patternIdFromName } from '../normalize';
import { type NamedReaction, reactionNamed } from '../runtime';
import { sourceAllowed } from '../sources';
import { renderAddresses, renderTransform, type Run } from '../template';
import { nextInput, transitionTo } from './transition-to';
import { agentFor, reactionPath, storedEvent, type Work } from './work';

/** Default bound on forward/local transition chains. */
export const DEFAULT_MAX_CHAIN_STEPS = 100;

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
export function runChain(work: Work, input: ThredsEvent, stepsTaken: number): boolean {
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
