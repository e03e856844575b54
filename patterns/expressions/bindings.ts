/** The variables and functions (`$event`, `$local`, `$setLocal`, `$log`, …) an expression is evaluated with. */
import type { ThredsEvent } from '../model';
import type { JsonataFunction } from './jsonata';
import { toJson, valueNamed } from './values';

/** What an expression can see and change. `locals` is the working copy the caller commits or discards. */
export interface EvalScope {
  /** The input event (absent when an expiry fires with no event). */
  event?: ThredsEvent | undefined;
  thredId?: string | undefined;
  locals: Record<string, unknown>;
  outIds: Record<string, string>;
  now: number;
  /** Only bound inside `publish.onPublish`. */
  outboundEvent?: ThredsEvent | undefined;
  /** `$log(msg)` lines, collected for `thred.log` effects. */
  logs: string[];
}

function fn(implementation: JsonataFunction['implementation']): JsonataFunction {
  return { _jsonata_function: true, implementation };
}

export function bindings(scope: EvalScope): Record<string, unknown> {
  const event = scope.event;
  const data = event?.data;
  const content = data?.content;
  return {
    event,
    thredId: event?.thredId ?? scope.thredId,
    data,
    advice: data?.advice,
    content,
    values: content?.values,
    outboundEvent: scope.outboundEvent,
    valueNamed: fn((name, other) => {
      const source = (other ?? event) as ThredsEvent | undefined;
      return valueNamed(source?.data?.content?.values, String(name));
    }),
    local: fn((name) => {
      const key = String(name);
      if (Object.prototype.hasOwnProperty.call(scope.locals, key)) return scope.locals[key];
      // SrvThreds kept publish ids in locals as out_id_<name>; keep that spelling readable.
      if (key.startsWith('out_id_')) return scope.outIds[key.slice('out_id_'.length)];
      return undefined;
    }),
    setLocal: fn((name, value) => {
      const v = toJson(value);
      if (v === undefined) delete scope.locals[String(name)];
      else scope.locals[String(name)] = v;
      return undefined;
    }),
    isResponseFor: fn((name) => {
      const id = scope.outIds[String(name)] ?? scope.locals[`out_id_${String(name)}`];
      return id !== undefined && event?.re !== undefined && id === event.re;
    }),
    log: fn((msg) => {
      scope.logs.push(typeof msg === 'string' ? msg : (JSON.stringify(toJson(msg)) ?? 'undefined'));
      return undefined;
    }),
    millis: fn(() => scope.now),
    now: fn(function (picture, timezone) {
      const fromMillis = this.environment.lookup('fromMillis') as JsonataFunction;
      return fromMillis.implementation.call(this, scope.now, picture, timezone);
    }),
    eval: fn(() => {
      throw { code: 'THREDS_EVAL', message: '$eval is disabled in patterns' };
    }),
  };
}
