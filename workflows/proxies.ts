/**
 * Every activity the thred workflow calls, with its timeouts and retry policy in one place.
 * Activity modules are imported as types only: workflow code never loads I/O code.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { EngineActivities } from '../activities/engine';
import type { AgentActivities } from '../activities/agent-contract';
import type { LookBackActivities } from '../activities/look-back';

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
