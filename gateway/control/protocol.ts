/**
 * What a control event is on the wire (SPEC §14): its types and thred, how an op and its arguments are found in its
 * values, and how a failure is reported as a SPEC §7 code.
 */
import { ErrorCodes } from '../../patterns/effects';
import { isRecord } from '../../patterns/json';
import type { ThredsEvent } from '../../patterns';
import { TaskError } from '../../store/task-error';
import type { Principal } from '../ingest';
import { toErrorBody } from '../errors';

export const ControlTypes = {
  sys: 'org.wt.control.sysControl',
  data: 'org.wt.control.dataControl',
  user: 'org.wt.control.userControl',
} as const;
export const SYSTEM_THRED_ID = 'SYSTEM';

/** A refusal with its SPEC §7 code (TaskError: the persistence compiler's failures carry codes the same way). */
export const refusal = (code: number, message: string) => new TaskError(message, code);
export const missing = (name: string) => refusal(ErrorCodes.MISSING_ARGUMENT, `missing argument: ${name}`);

/** Registry codes of the shared operations → SPEC §7 codes. */
const CODE_OF: Record<string, number> = {
  THREDS_ERR_VALIDATION: ErrorCodes.ARGUMENT_VALIDATION_ERROR,
  THREDS_ERR_THRED_NOT_FOUND: ErrorCodes.THRED_DOES_NOT_EXIST,
  THREDS_ERR_THRED_ENDED: ErrorCodes.THRED_DOES_NOT_EXIST,
  THREDS_ERR_PATTERN_NOT_FOUND: ErrorCodes.OBJECT_NOT_FOUND,
  THREDS_ERR_FORBIDDEN: ErrorCodes.UNAUTHORIZED,
};

/** The SPEC §7 code and message an op failure is reported with. */
export function controlFailure(err: unknown): { code: number; message: string } {
  if (err instanceof TaskError) return { code: err.code, message: err.message };
  const body = toErrorBody(err);
  // The request was stored before its op ran, so a re-sent id is never run again: unlike an ordinary event's 503,
  // the client has to send the request again under a new id.
  if (body.code === 'THREDS_ERR_UNAVAILABLE')
    return {
      code: ErrorCodes.SERVER_ERROR,
      message: 'Temporal or the store is unavailable; send the request again with a new id',
    };
  const code = CODE_OF[body.code];
  if (code !== undefined) return { code, message: body.message };
  return {
    code: ErrorCodes.SERVER_ERROR,
    message: body.statusCode === 500 ? `server error: ${(err as Error)?.message ?? String(err)}` : body.message,
  };
}

export type Values = Record<string, unknown>;

export type Op = (args: { event: ThredsEvent; values: Values; principal: Principal }) => Promise<Values>;

/**
 * The object whose own `name` is set, searched as `$valueNamed` searches (own key first, then each property value in
 * key order, arrays element by element): the original finds `op` this way, and its arguments beside it.
 */
export function holderOf(values: unknown, name: string, depth = 0): Values | undefined {
  if (depth > 32) return undefined;
  if (Array.isArray(values)) {
    for (const item of values) {
      const found = holderOf(item, name, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (!isRecord(values)) return undefined;
  if (values[name] !== undefined && values[name] !== null) return values;
  for (const key of Object.keys(values)) {
    const found = holderOf(values[key], name, depth + 1);
    if (found) return found;
  }
  return undefined;
}

// Arguments sit beside `op` in the object that holds it (a deep search for each would find a matcher's field).
export const arg = (values: Values, name: string): unknown => values[name];

export function stringArg(values: Values, name: string, required: boolean): string | undefined {
  const v = arg(values, name);
  if (v === undefined || v === null || v === '') {
    if (required) throw missing(name);
    return undefined;
  }
  if (typeof v !== 'string') throw refusal(ErrorCodes.ARGUMENT_VALIDATION_ERROR, `${name} must be a string`);
  return v;
}
