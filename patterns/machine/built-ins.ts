/** Events the machine answers itself, without running the current reaction: broadcasts and reported errors. */
import { errorEffect, ErrorCodes, EventTypes, logEffect, message, systemEvent } from '../effects';
import { ThredError } from '../errors';
import { isRecord } from '../json';
import type { Ctx, Effect, Step, ThredsEvent, ThredState } from '../model';
import { cloneJson } from '../normalize';
import type { PatternRuntime } from '../runtime';

/** Built-in org.wt.client.broadcast (SPEC §5): relays values.message to the other participants; no transition. */
export function broadcast(rt: PatternRuntime, state: ThredState, event: ThredsEvent, ctx: Ctx): Step {
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
export function reportedError(state: ThredState, event: ThredsEvent, ctx: Ctx): Step {
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
