/**
 * The Effect union's constructors and the well-known constants they use (SPEC §3, §7, §9).
 * Every function here is pure: ids and time come from the caller's `Ctx`.
 */
import type { Ctx, Effect, ErrorEffect, EventData, EventSource, Message, ThredLogEffect, ThredsEvent } from './model';

/** Source of every event the engine emits. */
export const SYSTEM_SOURCE: EventSource = Object.freeze({ id: 'SYSTEM', name: 'Threds' }) as EventSource;

export const EventTypes = {
  tell: 'org.wt.tell',
  broadcast: 'org.wt.broadcast',
  clientTell: 'org.wt.client.tell',
  clientBroadcast: 'org.wt.client.broadcast',
} as const;

/** SPEC §7 error codes. */
export const ErrorCodes = {
  SERVER_ERROR: 5000,
  TASK_ERROR: 5200,
  OBJECT_NOT_FOUND: 5201,
  OBJECT_ALREADY_EXISTS: 5202,
  THRED_DOES_NOT_EXIST: 5203,
  CLIENT_ERROR: 4000,
  UNAUTHORIZED: 4101,
  INVALID_LOGIN: 4102,
  ARGUMENT_VALIDATION_ERROR: 4200,
  MISSING_ARGUMENT: 4202,
  PATTERN_LIMIT: 4300,
} as const;

/** Every effect type, for exhaustive dispatch tables (`Record<Effect['type'], Handler>`). */
export const EFFECT_TYPES = [
  'message.send',
  'agent.call',
  'timer.start',
  'timer.cancel',
  'thred.log',
  'thred.end',
  'thred.spawn',
  'error',
] as const satisfies readonly Effect['type'][];

/** Builds an engine-originated event (type org.wt.tell unless given, source SYSTEM, fresh id, ctx time). */
export function systemEvent(
  ctx: Ctx,
  thredId: string | undefined,
  data: EventData,
  opts: { re?: string; type?: string } = {},
): ThredsEvent {
  const event: ThredsEvent = {
    id: ctx.newId(),
    type: opts.type ?? EventTypes.tell,
    source: { ...SYSTEM_SOURCE },
    time: ctx.now,
    data,
  };
  if (thredId !== undefined) event.thredId = thredId;
  if (opts.re !== undefined) event.re = opts.re;
  return event;
}

/** A message: fresh id, recipients, event. */
export function message(ctx: Ctx, to: string[], event: ThredsEvent): Message {
  return { id: ctx.newId(), to, event };
}

/**
 * The `error` effect with its SPEC §9 error event. `scope: 'sender'` addresses `[senderId]`;
 * `scope: 'thred'` addresses `['$thred']` (resolved by the shell, agents excluded).
 */
export function errorEffect(
  ctx: Ctx,
  args: {
    scope: 'sender' | 'thred';
    code: number;
    message: string;
    title: string;
    thredId?: string;
    re?: string;
    senderId?: string;
  },
): ErrorEffect {
  const event = systemEvent(
    ctx,
    args.thredId,
    { title: args.title, content: { error: { code: args.code, message: args.message } } },
    args.re !== undefined ? { re: args.re } : {},
  );
  const effect: ErrorEffect = {
    type: 'error',
    scope: args.scope,
    code: args.code,
    message: args.message,
    event,
    to: args.scope === 'sender' && args.senderId !== undefined ? [args.senderId] : ['$thred'],
  };
  if (args.re !== undefined) effect.re = args.re;
  return effect;
}

/** A `thred.log` record; optional fields are omitted when undefined (keeps effects plain JSON). */
export function logEffect(
  kind: ThredLogEffect['kind'],
  from: string | null,
  to: string | null,
  extra: { eventId?: string | undefined; reaction?: string | undefined; detail?: string | undefined } = {},
): ThredLogEffect {
  const effect: ThredLogEffect = { type: 'thred.log', kind, from, to };
  if (extra.eventId !== undefined) effect.eventId = extra.eventId;
  if (extra.reaction !== undefined) effect.reaction = extra.reaction;
  if (extra.detail !== undefined) effect.detail = extra.detail;
  return effect;
}
