/** Engine settings handed to every thred (agents, groups, per-agent activity options, budgets), from the directory. */
import type { Directory, AgentConfig } from '../store/directory';
import { agentAddresses } from '../store/directory';
import type { AgentCallOptions, EngineSettings } from '../workflows/messages';

export function toMs(d: string | number | undefined, fallback: number): number {
  if (d === undefined) return fallback;
  if (typeof d === 'number') return d;
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(d);
  if (!m) return fallback;
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export function agentCallOptions(a: AgentConfig): AgentCallOptions {
  return {
    taskQueue: a.taskQueue ?? a.nodeType,
    startToCloseMs: toMs(a.timeouts?.startToClose, 30_000),
    ...(a.timeouts?.heartbeat !== undefined && { heartbeatMs: toMs(a.timeouts.heartbeat, 0) }),
    retry: {
      initialIntervalMs: toMs(a.retry?.initialInterval, 1000),
      backoffCoefficient: a.retry?.backoffCoefficient ?? 2,
      maximumIntervalMs: toMs(a.retry?.maximumInterval, 30_000),
      maximumAttempts: a.retry?.maximumAttempts ?? 5,
    },
  };
}

export function engineSettings(dir: Directory, env: NodeJS.ProcessEnv = process.env): EngineSettings {
  return {
    agents: agentAddresses(dir),
    groups: dir.groups,
    eventBudget: Number(env.THREDS_EVENT_BUDGET ?? 2000),
    seenLimit: Number(env.THREDS_SEEN_LIMIT ?? 1000),
    agentOptions: Object.fromEntries(dir.agents.map((a) => [a.nodeType, agentCallOptions(a)])),
  };
}
