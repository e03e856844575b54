/**
 * Where the CPU went, phase by phase: user+system time of each process of the run (Temporal, FerretDB, thred
 * worker, gateway, the bench itself) from /proc, as a share of one core over the phase's wall time. On 2 cores the
 * process near 100 % (one core) or the sum near 200 % names the bottleneck of that phase. The CPU seconds are kept
 * too, for the per-core figures (CPU per 1,000 events: bench/report/figures.ts).
 */
import { readFileSync } from 'node:fs';
import { round } from './stats';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

export interface PhaseProfile {
  phase: string;
  wallMs: number;
  /** Per process: CPU time as a percentage of one core over the phase. */
  cpuPercent: Record<string, number>;
  /** Per process: CPU seconds (user + system) over the phase; NaN (null in JSON) when not measurable. */
  cpuSeconds: Record<string, number>;
}

function cpuTicks(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN; // the process has gone
  }
}

export function createProfiler(processes: () => Record<string, number | undefined>) {
  const phases: PhaseProfile[] = [];
  return {
    phases,
    async phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const procs = processes();
      const before = Object.fromEntries(Object.entries(procs).map(([k, pid]) => [k, cpuTicks(pid)]));
      const start = Date.now();
      try {
        return await fn();
      } finally {
        const wallMs = Date.now() - start;
        const cpuSeconds = Object.fromEntries(
          Object.entries(procs).map(([k, pid]) => [k, round((cpuTicks(pid) - before[k]!) / TICKS_PER_SECOND, 2)]),
        );
        const cpuPercent = Object.fromEntries(
          Object.entries(cpuSeconds).map(([k, s]) => [k, round((s / Math.max(wallMs / 1000, 0.001)) * 100, 0)]),
        );
        phases.push({ phase: name, wallMs, cpuPercent, cpuSeconds });
      }
    },
  };
}
