/**
 * Every activity the thred workflow calls, with its timeouts and retry policy in one place, and the worker's sinks.
 * Activity modules are imported as types only: workflow code never loads I/O code.
 */
import { proxyActivities, proxyLocalActivities, proxySinks, type ActivityOptions } from '@temporalio/workflow';
import type { Message } from '../patterns/thred-machine';
import type { EngineActivities } from '../activities/engine';
import type { AgentActivities } from '../activities/agent-contract';
import type { LookBackActivities } from '../activities/look-back';
import type { ThredsSinks } from '../telemetry/sinks';
import type { AgentCallOptions } from './messages';

/** Metrics and step spans, reported to the worker (sinks add no history events and are not called on replay). */
export const { threds: telemetry } = proxySinks<ThredsSinks>();

/**
 * Bookkeeping runs as a local activity: one marker event per step instead of three activity events plus a workflow
 * task. It is idempotent (keys from thred and step ids), so a re-run after a worker crash is harmless.
 */
export const engine = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

/**
 * The same bookkeeping as a regular activity on the thred's own task queue: used for the batch that ends a workflow
 * task at the per-task item bound (a local activity would keep the task open).
 */
export const engineTasks = proxyActivities<EngineActivities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

/** Agents: the task queue, timeouts and retry policy are per agent (EngineSettings.agentOptions), set per call. */
export const agents = proxyActivities<AgentActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5 },
});

/** Look-back reads (SPEC §15) are local activities too: their answer is a marker in history, so replay offers the same events. */
export const lookBacks = proxyLocalActivities<LookBackActivities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

/** One agent call's options: the agent's own (EngineSettings.agentOptions) or, for an unconfigured agent, the defaults. */
export function agentCallOptions(
  nodeType: string,
  message: Message,
  opts: AgentCallOptions | undefined,
): ActivityOptions {
  return {
    taskQueue: opts?.taskQueue ?? nodeType,
    summary: `${nodeType}: ${message.event.data?.title ?? message.event.type} (${message.id})`,
    startToCloseTimeout: opts?.startToCloseMs ?? 30_000,
    ...(opts?.heartbeatMs && { heartbeatTimeout: opts.heartbeatMs }),
    retry: opts
      ? {
          initialInterval: opts.retry.initialIntervalMs,
          backoffCoefficient: opts.retry.backoffCoefficient,
          maximumInterval: opts.retry.maximumIntervalMs,
          maximumAttempts: opts.retry.maximumAttempts,
        }
      : { maximumAttempts: 5 },
  };
}
