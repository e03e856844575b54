// The benchmark's derived figures (issue 20): ratios to the floor and the baseline, the floor's fixed rate, CPU per
// 1,000 events from the profiler's /proc samples, and the CPU-per-event target.
import { describe, expect, it } from 'vitest';
import { floorRate } from '../../bench/phases/floor';
import { loadPhases, sustainedRate, type LoadResult } from '../../bench/phases/load';
import type { PhaseProfile } from '../../bench/profile';
import { cpuPerEvents, latencyRatios, perCore, ratio } from '../../bench/report/figures';
import { benchTargets, outcome, type Measures } from '../../bench/report/targets';
import type { Percentiles } from '../../bench/stats';

const p = (p50: number, p95: number, p99: number, count = 100): Percentiles => ({ count, p50, p95, p99, max: p99 });

function load(perSec: number, sat: Percentiles, fixed: Percentiles, rate = 20): LoadResult {
  return {
    saturation: { perSec, latency: sat, errors: 0 },
    fixedRate: { rate, latency: fixed, errors: 0 },
  };
}

const phase = (name: string, wallMs: number, cpuSeconds: Record<string, number>): PhaseProfile => ({
  phase: name,
  wallMs,
  cpuPercent: {},
  cpuSeconds,
});

describe('ratios', () => {
  it('divides to 2 decimals, NaN against a reference that is not positive', () => {
    expect(ratio(51.7, 43.3)).toBe(1.19);
    expect(ratio(10, 0)).toBeNaN();
    expect(ratio(10, NaN)).toBeNaN();
  });

  it('gives Threds over the reference per percentile, at the fixed rate and at saturation', () => {
    const threds = load(50, p(140, 300, 400), p(50, 80, 90));
    const floor = load(200, p(70, 100, 200), p(20, 40, 45));
    expect(latencyRatios(threds, floor)).toEqual({
      fixedRate: { p50: 2.5, p95: 2, p99: 2 },
      saturation: { p50: 2, p95: 3, p99: 2 },
    });
  });
});

describe('the floor’s fixed rate', () => {
  it('is the baseline’s rate when the floor sustains it, else the floor’s own half of saturation (≥ 5/s)', () => {
    const sat = (perSec: number) => ({ perSec, latency: p(1, 1, 1), errors: 0 });
    expect(sustainedRate(sat(43.3))).toBe(21);
    expect(sustainedRate(sat(3))).toBe(5);
    expect(floorRate(sat(200), 21)).toBe(21);
    expect(floorRate(sat(30), 21)).toBe(15);
  });
});

describe('CPU per 1,000 events', () => {
  it('scales each process’s CPU seconds to 1,000 events; the total in ms per event leaves out the bench', () => {
    const profile = phase('threds saturation', 15_000, {
      temporal: 6,
      ferretdb: 3,
      worker: 4.5,
      gateway: 1.5,
      bench: 2,
    });
    const cpu = cpuPerEvents('threds saturation', profile, 750);
    expect(cpu.cpuSecondsPer1000).toEqual({ temporal: 8, ferretdb: 4, worker: 6, gateway: 2, bench: 2.67 });
    expect(cpu.processes).toEqual(['temporal', 'ferretdb', 'worker', 'gateway']);
    // 15 CPU seconds over 750 events.
    expect(cpu.totalCpuMsPerEvent).toBe(20);
    expect(cpu.wallMs).toBe(15_000);
  });

  it('sums only the processes measured (a server not started by the bench has no /proc figure)', () => {
    const cpu = cpuPerEvents('x', phase('x', 1000, { temporal: NaN, worker: 1, gateway: 1 }), 100);
    expect(cpu.cpuSecondsPer1000.temporal).toBeNaN();
    expect(cpu.processes).toEqual(['worker', 'gateway']);
    expect(cpu.totalCpuMsPerEvent).toBe(20);
  });

  it('is NaN with no events, no phase, or nothing measured', () => {
    expect(cpuPerEvents('x', phase('x', 1000, { worker: 1 }), 0).totalCpuMsPerEvent).toBeNaN();
    const missing = cpuPerEvents('x', undefined, 10);
    expect(missing.totalCpuMsPerEvent).toBeNaN();
    expect(missing.wallMs).toBeNaN();
    expect(cpuPerEvents('x', phase('x', 1000, { bench: 1 }), 10).totalCpuMsPerEvent).toBeNaN();
  });

  it('takes the end-to-end phases by the names measureLoad profiles them under, events from their latencies', () => {
    const names = loadPhases('threds');
    const e2e = load(50, p(1, 1, 1, 500), p(1, 1, 1, 200));
    const figures = perCore('threds', e2e, [
      phase('baseline saturation', 1000, { worker: 100 }),
      phase(names.saturation, 10_000, { worker: 5, bench: 1 }),
      phase(names.fixedRate, 10_000, { worker: 4, bench: 1 }),
    ]);
    expect(figures.saturation).toMatchObject({ phase: names.saturation, events: 500, totalCpuMsPerEvent: 10 });
    expect(figures.fixedRate).toMatchObject({ phase: names.fixedRate, events: 200, totalCpuMsPerEvent: 20 });
  });
});

describe('the CPU-per-event target', () => {
  const measures = (msPerEvent: number): Measures => {
    const any = load(50, p(10, 20, 30), p(10, 20, 30));
    const cpu = { ...cpuPerEvents('x', undefined, 0), totalCpuMsPerEvent: msPerEvent };
    return {
      baseline: any,
      floor: any,
      endToEnd: any,
      ingest: { perSec: 500 },
      oneThred: { events: 10, perSec: 300, continueAsNewRuns: 1 },
      idle: { idleThreds: 10, startsPerSec: 5, workerRssMB: 100, gatewayRssMB: 50, eventLatency: p(1, 1, 1) },
      history: { historyEventsPerHandledEvent: 0.3 },
      perCore: { saturation: cpu, fixedRate: cpu },
    };
  };
  const cpuTarget = (msPerEvent: number) =>
    benchTargets(measures(msPerEvent))
      .map(outcome)
      .find((t) => t.name.startsWith('CPU for one e2e event'))!;

  it('is met at most 20 ms per event, missed above it or when not measured', () => {
    expect(cpuTarget(19.9)).toMatchObject({ target: 20, actual: 19.9, met: true });
    expect(cpuTarget(20)).toMatchObject({ met: true });
    expect(cpuTarget(31)).toMatchObject({ actual: 31, met: false });
    expect(cpuTarget(NaN).met).toBe(false);
  });
});
