/**
 * Figures derived from the measures (pure, unit-tested in test/unit/bench-figures.test.ts): Threds' end-to-end
 * throughput and latency as ratios to a bare-Temporal reference (the baseline, the floor), and the per-core figures —
 * CPU seconds per 1,000 end-to-end events for each process, from the profiler's /proc samples of that phase.
 */
import type { LoadResult } from '../phases/load';
import { loadPhases } from '../phases/load';
import type { PhaseProfile } from '../profile';
import { round, type Percentiles } from '../stats';

/** `value / reference` to 2 decimals; NaN (null in JSON) when the reference is not a positive number. */
export function ratio(value: number, reference: number): number {
  return reference > 0 ? round(value / reference, 2) : NaN;
}

export interface PercentileRatios {
  p50: number;
  p95: number;
  p99: number;
}

export function percentileRatios(p: Percentiles, reference: Percentiles): PercentileRatios {
  return { p50: ratio(p.p50, reference.p50), p95: ratio(p.p95, reference.p95), p99: ratio(p.p99, reference.p99) };
}

/** Threds' latency over the reference's, at the fixed rate (each side's) and at saturation. */
export interface LatencyRatios {
  fixedRate: PercentileRatios;
  saturation: PercentileRatios;
}

export function latencyRatios(threds: LoadResult, reference: LoadResult): LatencyRatios {
  return {
    fixedRate: percentileRatios(threds.fixedRate.latency, reference.fixedRate.latency),
    saturation: percentileRatios(threds.saturation.latency, reference.saturation.latency),
  };
}

/** The bench process is the load generator and the WebSocket client, not part of the system under test. */
export const LOAD_GENERATOR = 'bench';

export interface CpuPerEvents {
  /** The profiled phase the figures come from. */
  phase: string;
  events: number;
  wallMs: number;
  /** Per process: CPU seconds (user + system) per 1,000 events handled in the phase; NaN when not measured. */
  cpuSecondsPer1000: Record<string, number>;
  /** The processes measured in that phase, the load generator aside: what the total adds up. */
  processes: string[];
  /** Their CPU together, in ms per event. */
  totalCpuMsPerEvent: number;
}

/** The per-core figures of one phase that handled `events` events; NaN figures if the phase is missing or empty. */
export function cpuPerEvents(phase: string, profile: PhaseProfile | undefined, events: number): CpuPerEvents {
  const seconds = profile?.cpuSeconds ?? {};
  const per = (s: number) => (events > 0 ? (s * 1000) / events : NaN);
  const processes = Object.keys(seconds).filter((k) => k !== LOAD_GENERATOR && Number.isFinite(seconds[k]));
  const total = processes.reduce((sum, k) => sum + seconds[k]!, 0);
  return {
    phase,
    events,
    wallMs: profile?.wallMs ?? NaN,
    cpuSecondsPer1000: Object.fromEntries(Object.entries(seconds).map(([k, s]) => [k, round(per(s), 2)])),
    processes,
    totalCpuMsPerEvent: processes.length ? round(per(total), 1) : NaN,
  };
}

export interface PerCore {
  saturation: CpuPerEvents;
  fixedRate: CpuPerEvents;
}

/** The per-core figures of a load measure labelled `label` (measureLoad), from the run's profiled phases. */
export function perCore(label: string, load: LoadResult, profile: PhaseProfile[]): PerCore {
  const names = loadPhases(label);
  const of = (name: string, events: number) =>
    cpuPerEvents(
      name,
      profile.find((p) => p.phase === name),
      events,
    );
  return {
    saturation: of(names.saturation, load.saturation.latency.count),
    fixedRate: of(names.fixedRate, load.fixedRate.latency.count),
  };
}
