/** Engine settings handed to every thred (agents, groups, per-agent activity options, budgets), from the directory. */
import type { Directory, AgentConfig } from '../store/directory';
import { agentAddresses } from '../store/directory';
import type { AgentCallOptions, EngineSettings } from '../workflows/messages';
import { parseDuration } from '../gateway/tokens';

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
    taskItems: Number(env.THREDS_TASK_ITEMS ?? 100),
    historyEvents: Number(env.THREDS_HISTORY_MAX_EVENTS ?? 3000),
    historyBytes: Number(env.THREDS_HISTORY_MAX_BYTES ?? 3 * 1024 * 1024),
    seenLimit: Number(env.THREDS_SEEN_LIMIT ?? 1000),
    agentOptions: Object.fromEntries(dir.agents.map((a) => [a.nodeType, agentCallOptions(a)])),
  };
}

export const DEFAULT_RETENTION = '30d';
export const DEFAULT_RETENTION_SWEEP_INTERVAL = '1h';

export interface RetentionSettings {
  /** How long an ended thred's records are kept; 0 keeps them forever. */
  retentionMs: number;
  /** How often a worker sweeps what is past it. */
  sweepIntervalMs: number;
}

/** THREDS_RETENTION and THREDS_RETENTION_SWEEP_INTERVAL; a malformed value fails start-up, naming the variable. */
export function retentionSettings(env: NodeJS.ProcessEnv = process.env): RetentionSettings {
  const duration = (name: string, fallback: string, zero: boolean): number => {
    const text = env[name] || fallback;
    const ms = parseDuration(text);
    if (ms === undefined || (!zero && ms === 0))
      throw new Error(
        `${name}: "${text}" is not a duration like 30d, 12h, 15m${zero ? ' (0 keeps ended threds forever)' : ''}`,
      );
    return ms;
  };
  return {
    retentionMs: duration('THREDS_RETENTION', DEFAULT_RETENTION, true),
    sweepIntervalMs: duration('THREDS_RETENTION_SWEEP_INTERVAL', DEFAULT_RETENTION_SWEEP_INTERVAL, false),
  };
}
