/**
 * The targets of issue 8, and issue 20's CPU for one end-to-end event. Each one holds its measured value, its bound
 * and the comparison between them, so whether it is met is read from the target itself.
 */
import type { LoadResult } from '../phases/load';
import type { IngestResult } from '../phases/ingest';
import type { OneThredResult } from '../phases/one-thred';
import type { IdleResult } from '../phases/idle';
import type { HistoryResult } from '../phases/history';
import type { PerCore } from './figures';
import { round } from '../stats';

/** `le`: the value must be at most the bound; `ge`: at least. */
export type Compare = 'le' | 'ge';

export interface Target {
  name: string;
  value: number;
  bound: number;
  compare: Compare;
}

/** A target as the results JSON and the table give it. */
export interface TargetOutcome {
  name: string;
  target: number;
  actual: number;
  met: boolean;
}

const holds: Record<Compare, (value: number, bound: number) => boolean> = {
  le: (value, bound) => value <= bound,
  ge: (value, bound) => value >= bound,
};

export function outcome(t: Target): TargetOutcome {
  return { name: t.name, target: t.bound, actual: t.value, met: holds[t.compare](t.value, t.bound) };
}

export interface Measures {
  baseline: LoadResult;
  floor: LoadResult;
  endToEnd: LoadResult;
  ingest: IngestResult;
  oneThred: OneThredResult;
  idle: IdleResult;
  history: HistoryResult;
  /** CPU per end-to-end event, per process (bench/report/figures.ts). */
  perCore: PerCore;
}

/** Issue 20: all processes together (Temporal, store, worker, gateway), at saturation, on this machine kind. */
export const CPU_MS_PER_EVENT_BOUND = 20;

export function ingestToBaseline(m: Pick<Measures, 'baseline' | 'ingest'>): number {
  return round(m.ingest.perSec / m.baseline.saturation.perSec, 2);
}

export function benchTargets(m: Measures): Target[] {
  const base = m.baseline.fixedRate.latency;
  const e2e = m.endToEnd.fixedRate.latency;
  return [
    { name: 'ingest ≥ 0.85× baseline throughput', value: ingestToBaseline(m), bound: 0.85, compare: 'ge' },
    { name: 'e2e p50 ≤ baseline p50 + 10 ms (fixed rate)', value: e2e.p50, bound: base.p50 + 10, compare: 'le' },
    { name: 'e2e p99 ≤ baseline p99 + 30 ms (fixed rate)', value: e2e.p99, bound: base.p99 + 30, compare: 'le' },
    { name: 'one thred ≥ 200 events/s across continue-as-new', value: m.oneThred.perSec, bound: 200, compare: 'ge' },
    {
      name: `${m.idle.idleThreds} idle threds: worker RSS < 1024 MB`,
      value: m.idle.workerRssMB,
      bound: 1024,
      compare: 'le',
    },
    {
      name: '≤ 6 history events per handled event',
      value: m.history.historyEventsPerHandledEvent,
      bound: 6,
      compare: 'le',
    },
    {
      name: `CPU for one e2e event ≤ ${CPU_MS_PER_EVENT_BOUND} ms (all processes, saturation)`,
      value: m.perCore.saturation.totalCpuMsPerEvent,
      bound: CPU_MS_PER_EVENT_BOUND,
      compare: 'le',
    },
  ];
}
