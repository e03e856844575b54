/** The working copy every machine call mutates, and the small lookups the machine's parts share. */
import { ErrorCodes } from '../effects';
import { ThredError } from '../errors';
import { isRecord } from '../json';
import type { AgentAddress, Ctx, Effect, Step, ThredsEvent, ThredState } from '../model';
import { cloneJson } from '../normalize';
import type { PatternRuntime } from '../runtime';

/** Mutable working copy for one call; discarded on failure so the caller's state stays untouched. */
export interface Work {
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

export function isEventLike(value: unknown): value is ThredsEvent {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.type === 'string' &&
    isRecord(value.source) &&
    typeof value.source.id === 'string'
  );
}

export function reactionPath(rt: PatternRuntime, name: string): string {
  return `/reactions/${rt.indexOf.get(name) ?? '?'}`;
}

/** The stored event a `local` input names. */
export function storedEvent(work: Work, localName: string | undefined, where: string): ThredsEvent {
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

export function newWork(rt: PatternRuntime, ctx: Ctx, state: ThredState): Work {
  return { rt, ctx, state: cloneJson(state), effects: [], ended: false };
}

export function finish(work: Work): Step['effects'] {
  if (work.ended && work.state.status !== 'active') {
    work.effects.push({ type: 'thred.end', status: work.state.status });
  }
  return work.effects;
}
