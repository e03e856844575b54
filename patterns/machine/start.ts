/** A thred's first state, the effects it is owed on creation, and participants added by the shell. */
import type { Ctx, Effect, Pattern, StartOptions, ThredState } from '../model';
import { cloneJson } from '../normalize';
import { reactionNamed, runtimeOf } from '../runtime';

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
