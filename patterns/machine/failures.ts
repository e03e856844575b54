/** Errors as data: how a failed call becomes an `error` effect and a log record, with the pre-event state kept. */
import { errorEffect, ErrorCodes, logEffect } from '../effects';
import { ThredError } from '../errors';
import { ExpressionError } from '../expressions';
import type { Ctx, Effect, Step, ThredsEvent, ThredState } from '../model';
import { agentFor } from './work';

function classify(err: unknown): { code: number; title: string; message: string } {
  if (err instanceof ThredError) return { code: err.code, title: err.title, message: err.message };
  if (err instanceof ExpressionError) return { code: err.code, title: 'Expression error', message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: ErrorCodes.SERVER_ERROR, title: 'Internal error', message };
}

/** Failed step: the untouched pre-event state, an `error` effect (to the sender, or `$thred`) and a log record. */
export function errorStep(pre: ThredState, ctx: Ctx, err: unknown, event: ThredsEvent | undefined): Step {
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

export function refuseInactive(state: ThredState): never {
  throw new ThredError(
    ErrorCodes.THRED_DOES_NOT_EXIST,
    'Thred is not active',
    `thred '${state.thredId}' is ${state.status} and accepts no further events`,
  );
}
