/**
 * The report of `npm run bench`: the results JSON (bench/results/<time>.json and latest.json) and the PNG chart
 * beside it; the tables on stdout are in tables.ts.
 */
import { join } from 'node:path';
import { writeChart, type ChartData } from '../chart';
import { machine, resultsDir, resultsFile, writeJson } from '../harness/results';
import type { BenchOptions } from '../phases/context';
import type { FixedRate, LoadResult, Saturation } from '../phases/load';
import type { OneThredResult } from '../phases/one-thred';
import type { IdleResult } from '../phases/idle';
import type { PhaseProfile } from '../profile';
import type { Percentiles } from '../stats';
import { latencyRatios, LOAD_GENERATOR, ratio, type LatencyRatios, type PerCore } from './figures';
import { benchTargets, ingestToBaseline, outcome, type Measures, type TargetOutcome } from './targets';

export interface BenchResult {
  when: string;
  machine: ReturnType<typeof machine>;
  options: BenchOptions;
  baseline: LoadResult & { note: string };
  /** Issue 20: the cheapest unit the Temporal server can do. */
  floor: LoadResult & { note: string };
  threds: {
    ingestPerSec: number;
    saturation: Saturation;
    fixedRate: FixedRate;
    ratios: {
      ingestToBaseline: number;
      saturationThroughputToBaseline: number;
      latencyToBaseline: LatencyRatios;
      saturationThroughputToFloor: number;
      latencyToFloor: LatencyRatios;
    };
    note: string;
  };
  longThred: OneThredResult;
  scale: IdleResult & { historyEventsPerHandledEvent: number };
  /** CPU per 1,000 end-to-end events for each process, from the /proc samples of the end-to-end phases. */
  perCore: PerCore & { note: string };
  targets: TargetOutcome[];
  profile: PhaseProfile[];
}

export function benchResult(opts: BenchOptions, m: Measures, profile: PhaseProfile[]): BenchResult {
  return {
    when: new Date().toISOString(),
    machine: machine(),
    options: opts,
    baseline: {
      ...m.baseline,
      note: 'signal-with-start → one activity → complete; latency = signal sent → activity started',
    },
    floor: {
      ...m.floor,
      note: 'signal-with-start of a workflow that completes in its first task (no activity, no timer); latency = start sent → completion seen by the client',
    },
    threds: {
      ingestPerSec: m.ingest.perSec,
      ...m.endToEnd,
      ratios: {
        ingestToBaseline: ingestToBaseline(m),
        saturationThroughputToBaseline: ratio(m.endToEnd.saturation.perSec, m.baseline.saturation.perSec),
        latencyToBaseline: latencyRatios(m.endToEnd, m.baseline),
        saturationThroughputToFloor: ratio(m.endToEnd.saturation.perSec, m.floor.saturation.perSec),
        latencyToFloor: latencyRatios(m.endToEnd, m.floor),
      },
      note: 'latency = POST /events sent → message received on a WebSocket client',
    },
    longThred: m.oneThred,
    scale: { ...m.idle, ...m.history },
    perCore: {
      ...m.perCore,
      note: `CPU seconds (user + system, from /proc) per 1,000 end-to-end events, per process; the total (ms per event) leaves out ${LOAD_GENERATOR}, the load generator`,
    },
    targets: benchTargets(m).map(outcome),
    profile,
  };
}

/** Writes the JSON and the chart, each also as latest.*; returns the JSON's path. */
export function writeResults(r: BenchResult): string {
  const file = resultsFile(r.when);
  writeJson(file, r);
  writeJson(join(resultsDir, 'latest.json'), r);
  const chart = chartData(r);
  writeChart(file.replace(/\.json$/, '.png'), chart);
  writeChart(join(resultsDir, 'latest.png'), chart);
  return file;
}

function chartData(r: BenchResult): ChartData {
  const pick = (p: Percentiles) => ({ p50: p.p50, p95: p.p95, p99: p.p99 });
  const { ratios } = r.threds;
  const toRefs = (label: string, key: 'p50' | 'p99', at: 'fixedRate' | 'saturation') => ({
    label,
    values: [ratios.latencyToFloor[at][key], ratios.latencyToBaseline[at][key]] as [number, number],
  });
  const cpu = r.perCore.saturation;
  return {
    title: `Threds vs bare Temporal — ${r.when} (${r.machine.cpus} cores)`,
    latency: [
      { label: 'floor fixed', ...pick(r.floor.fixedRate.latency) },
      { label: 'baseline fixed', ...pick(r.baseline.fixedRate.latency) },
      { label: 'threds fixed', ...pick(r.threds.fixedRate.latency) },
      { label: 'floor sat.', ...pick(r.floor.saturation.latency) },
      { label: 'baseline sat.', ...pick(r.baseline.saturation.latency) },
      { label: 'threds sat.', ...pick(r.threds.saturation.latency) },
      { label: 'idle poke', ...pick(r.scale.eventLatency) },
    ],
    throughput: [
      { label: 'floor wf/s', perSec: r.floor.saturation.perSec },
      { label: 'baseline wf/s', perSec: r.baseline.saturation.perSec },
      { label: 'ingest ev/s', perSec: r.threds.ingestPerSec },
      { label: 'threds e2e/s', perSec: r.threds.saturation.perSec },
      { label: 'one thred ev/s', perSec: r.longThred.perSec },
    ],
    ratios: [
      { label: 'e2e/s sat.', values: [ratios.saturationThroughputToFloor, ratios.saturationThroughputToBaseline] },
      toRefs('p50 fixed', 'p50', 'fixedRate'),
      toRefs('p99 fixed', 'p99', 'fixedRate'),
      toRefs('p50 sat.', 'p50', 'saturation'),
      toRefs('p99 sat.', 'p99', 'saturation'),
    ],
    cpu: {
      title: `CPU s per 1,000 e2e events at saturation (all: ${cpu.totalCpuMsPerEvent} ms/event)`,
      bars: Object.entries(cpu.cpuSecondsPer1000).map(([name, seconds]) => ({
        label: name === LOAD_GENERATOR ? `${name} (not in all)` : name,
        seconds,
      })),
    },
  };
}
