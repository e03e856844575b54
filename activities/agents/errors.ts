/**
 * Permanent agent failures (SPEC §6, §7): thrown inside an implementation, turned by the runtime into an error reply
 * the thred sees at once. Anything else thrown is transient and retried by the agent's retry policy.
 */
/** The SPEC §7 codes an agent fails with: the one table, patterns/effects.ts (the name agents already import). */
export { ErrorCodes as AgentErrorCodes } from '../../patterns/effects';
import { ErrorCodes as AgentErrorCodes } from '../../patterns/effects';

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
