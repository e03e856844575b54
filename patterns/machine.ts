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
import { EventTypes, logEffect } from './effects';
import type { Ctx, Pattern, Step, ThredsEvent, ThredState } from './model';
import { normalizeEvent } from './normalize';
import { reactionNamed, runtimeOf } from './runtime';
import { runChain } from './machine/apply';
import { broadcast, reportedError } from './machine/built-ins';
import { errorStep, refuseInactive } from './machine/failures';
import { transitionTo } from './machine/transition-to';
import { finish, isEventLike, newWork, reactionPath, storedEvent } from './machine/work';

export { DEFAULT_MAX_CHAIN_STEPS } from './machine/apply';
export { agentFor } from './machine/work';
export { start, initialEffects, addParticipants } from './machine/start';
export { agentFailure, terminateThred, forceTransition } from './machine/shell-inputs';

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
