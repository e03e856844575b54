/**
 * Permanent agent failures (SPEC §6, §7): thrown inside an implementation, turned by the runtime into an error reply
 * the thred sees at once. Anything else thrown is transient and retried by the agent's retry policy.
 */
export const AgentErrorCodes = {
  SERVER_ERROR: 5000,
  TASK_ERROR: 5200,
  OBJECT_NOT_FOUND: 5201,
  OBJECT_ALREADY_EXISTS: 5202,
  CLIENT_ERROR: 4000,
  UNAUTHORIZED: 4101,
  ARGUMENT_VALIDATION_ERROR: 4200,
  MISSING_ARGUMENT: 4202,
} as const;

/** One class for agents and the gateway's dataControl (store/task-error.ts). */
export { TaskError } from '../../store/task-error';

/**
 * Errors that mean "do not retry": our TaskError, anything flagged `permanent`, and Temporal's non-retryable
 * ApplicationFailure (duck-typed, so user modules need not import our classes).
 */
export function asPermanent(err: unknown): { code: number; message: string; details?: unknown } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as {
    permanent?: unknown;
    nonRetryable?: unknown;
    code?: unknown;
    message?: unknown;
    details?: unknown;
  };
  if (e.permanent !== true && e.nonRetryable !== true) return undefined;
  const code = typeof e.code === 'number' ? e.code : AgentErrorCodes.TASK_ERROR;
  const out: { code: number; message: string; details?: unknown } = {
    code,
    message: String(e.message ?? 'task failed'),
  };
  if (e.details !== undefined && !(Array.isArray(e.details) && e.details.length === 0)) out.details = e.details;
  return out;
}
