/** Inputs that come from the shell rather than from an event: an agent call's failure, admin terminate/transition. */
import { errorEffect, ErrorCodes, logEffect } from '../effects';
import type { Ctx, Effect, Pattern, Step, ThredsEvent, ThredState, Transition } from '../model';
import { reactionNamed, runtimeOf } from '../runtime';
import { runChain } from './apply';
import { errorStep, refuseInactive } from './failures';
import { leave, transitionTo } from './transition-to';
import { finish, newWork, storedEvent } from './work';

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
