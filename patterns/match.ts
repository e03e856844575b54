/**
 * Side-effect-free tests the router needs before a thred runs an event (SPEC §4.3, §4 maxInstances):
 * does an unbound event start a pattern, does a running thred accept an unbound event, may another thred
 * of a pattern start now. Nothing here runs `onTrue`, keeps `$setLocal` writes, or consumes ids.
 */
import { evaluateCondition } from './conditions';
import { ErrorCodes } from './effects';
import { ThredError } from './errors';
import { type EvalScope, evaluateExpression, ExpressionError } from './expressions';
import type { Ctx, Pattern, ThredsEvent, ThredState } from './model';
import { cloneJson, normalizeEvent } from './normalize';
import { type NamedReaction, type PatternRuntime, reactionNamed, runtimeOf } from './runtime';
import { sourceAllowed } from './sources';

/** Result of a start test; `error` is set when an expression failed (the pattern then does not start). */
export interface StartMatch {
  starts: boolean;
  error?: { code: number; message: string };
}

function testReaction(
  rt: PatternRuntime,
  reaction: NamedReaction,
  event: ThredsEvent,
  ctx: Ctx,
  scope: EvalScope,
  andState: Record<string, true>,
): boolean {
  if (!sourceAllowed(reaction.allowedSources, event.source.id, ctx.groups)) return false;
  const result = evaluateCondition(reaction.condition, '/condition', {
    mode: 'test',
    run: (source) => evaluateExpression(source, scope, rt.cache),
    // a copy: test mode never records progress
    andState: { ...andState },
  });
  return result !== null;
}

function failure(err: unknown, reaction: string): { code: number; message: string } {
  if (err instanceof ExpressionError) {
    return {
      code: err.code,
      message: `reaction '${reaction}', expression ${JSON.stringify(err.expression)}: ${err.message}`,
    };
  }
  if (err instanceof ThredError) return { code: err.code, message: err.message };
  return { code: ErrorCodes.SERVER_ERROR, message: err instanceof Error ? err.message : String(err) };
}

/**
 * Tests an unbound event against the pattern's initial reaction: pattern active (`meta.active !== false`),
 * allowedSources, then the condition with empty locals (`and`/`or`: any operand true). Never runs `onTrue`.
 * Deterministic; errors are returned, not thrown.
 */
export function matchStart(pattern: Pattern, event: ThredsEvent, ctx: Ctx): StartMatch {
  let reactionName = '?';
  try {
    const rt = runtimeOf(pattern);
    if (rt.pattern.meta?.active === false) return { starts: false };
    const first = rt.reactions[0];
    if (first === undefined) return { starts: false };
    reactionName = first.name;
    const input = normalizeEvent(event);
    const scope: EvalScope = { event: input, thredId: undefined, locals: {}, outIds: {}, now: ctx.now, logs: [] };
    return { starts: testReaction(rt, first, input, ctx, scope, {}) };
  } catch (err) {
    return { starts: false, error: failure(err, reactionName) };
  }
}

/** `matchStart(...).starts`: whether this unbound event starts a thred of `pattern`. Never throws. */
export function startsThred(pattern: Pattern, event: ThredsEvent, ctx: Ctx): boolean {
  return matchStart(pattern, event, ctx).starts;
}

/**
 * Whether a running thred whose current reaction has `allowUnboundEvents` would take this unbound event:
 * allowedSources + condition test against a scratch copy of its locals (writes discarded). False when the
 * thred is not active, the reaction does not accept unbound events, or an expression fails. Never throws.
 */
export function acceptsUnbound(pattern: Pattern, state: ThredState, event: ThredsEvent, ctx: Ctx): boolean {
  try {
    if (state.status !== 'active') return false;
    const rt = runtimeOf(pattern);
    const reaction = reactionNamed(rt, state.reaction);
    if (reaction?.allowUnboundEvents !== true) return false;
    const input = normalizeEvent(event);
    const scope: EvalScope = {
      event: input,
      thredId: state.thredId,
      locals: cloneJson(state.locals),
      outIds: { ...state.outIds },
      now: ctx.now,
      logs: [],
    };
    return testReaction(rt, reaction, input, ctx, scope, state.andState);
  } catch {
    return false;
  }
}

/** A pattern's maxInstances and instanceInterval, 0 meaning no limit: what admission of a new thred checks. */
export function instanceLimits(pattern: Pattern): { maxInstances: number; instanceInterval: number } {
  return { maxInstances: pattern.maxInstances ?? 0, instanceInterval: pattern.instanceInterval ?? 0 };
}

/** The pattern limits its threds (maxInstances or instanceInterval), so starts need admission and ends a release. */
export function hasInstanceLimits(pattern: Pattern): boolean {
  const { maxInstances, instanceInterval } = instanceLimits(pattern);
  return maxInstances > 0 || instanceInterval > 0;
}
