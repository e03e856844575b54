/**
 * Moving a thred between reactions: leaving cancels the old reaction's timer, entering starts the new one's, and a
 * chained transition names the input the next reaction gets.
 */
import { ErrorCodes } from '../effects';
import { ThredError } from '../errors';
import type { ThredsEvent, Transition } from '../model';
import { type NamedReaction, reactionNamed } from '../runtime';
import { storedEvent, type Work } from './work';

export function leave(work: Work): void {
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
export function transitionTo(work: Work, transition: Transition | undefined, from: NamedReaction): void {
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

/** Next input of a chain: forward = same event, local = stored event, default = none; none once ended. */
export function nextInput(
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
