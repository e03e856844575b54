/**
 * The report of `npm run bench`: the results JSON (bench/results/<time>.json and latest.json), the PNG chart beside
 * it, and the tables on stdout — measures, targets, and where the CPU went in each phase.
 */
import { join } from 'node:path';
import { writeChart, type ChartData } from '../chart';
import { machine, resultsDir, resultsFile, writeJson } from '../harness/results';
import type { BenchOptions } from '../phases/context';
import type { FixedRate, LoadResult, Saturation } from '../phases/load';
import type { OneThredResult } from '../phases/one-thred';
import type { IdleResult } from '../phases/idle';
import type { PhaseProfile } from '../profile';
import { round, type Percentiles } from '../stats';
import { benchTargets, ingestToBaseline, outcome, type Measures, type TargetOutcome } from './targets';

export interface BenchResult {
  when: string;
  machine: ReturnType<typeof machine>;
  options: BenchOptions;
  baseline: LoadResult & { note: string };
  threds: {
    ingestPerSec: number;
    saturation: Saturation;
    fixedRate: FixedRate;
    ratios: { ingestToBaseline: number; saturationThroughputToBaseline: number };
    note: string;
  };
  longThred: OneThredResult;
  scale: IdleResult & { historyEventsPerHandledEvent: number };
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
    threds: {
      ingestPerSec: m.ingest.perSec,
      ...m.endToEnd,
      ratios: {
        ingestToBaseline: ingestToBaseline(m),
        saturationThroughputToBaseline: round(m.endToEnd.saturation.perSec / m.baseline.saturation.perSec, 2),
      },
      note: 'latency = POST /events sent → message received on a WebSocket client',
    },
    longThred: m.oneThred,
    scale: { ...m.idle, ...m.history },
    targets: benchTargets(m).map(outcome),
    profile,
  };
}

/** Writes the JSON and the chart, each also as latest.*; returns the JSON's path. */
export function writeResults(r: BenchResult): string {
  const file = resultsFile(r.when);
  writeJson(file, r);
  writeJson(join(resultsDir, 'latest.json'), r);
  const pick = (p: Percentiles) => ({ p50: p.p50, p95: p.p95, p99: p.p99 });
  const chart: ChartData = {
    title: `Threds vs bare Temporal — ${r.when} (${r.machine.cpus} cores)`,
    latency: [
      { label: 'baseline fixed', ...pick(r.baseline.fixedRate.latency) },
      { label: 'threds fixed', ...pick(r.threds.fixedRate.latency) },
      { label: 'baseline sat.', ...pick(r.baseline.saturation.latency) },
      { label: 'threds sat.', ...pick(r.threds.saturation.latency) },
      { label: 'idle poke', ...pick(r.scale.eventLatency) },
    ],
    throughput: [
      { label: 'baseline wf/s', perSec: r.baseline.saturation.perSec },
      { label: 'ingest ev/s', perSec: r.threds.ingestPerSec },
      { label: 'threds e2e/s', perSec: r.threds.saturation.perSec },
      { label: 'one thred ev/s', perSec: r.longThred.perSec },
    ],
  };
  writeChart(file.replace(/\.json$/, '.png'), chart);
  writeChart(join(resultsDir, 'latest.png'), chart);
  return file;
}

export function printTables(r: BenchResult): void {
  const lat = (p: Percentiles) => `${p.p50} / ${p.p95} / ${p.p99} ms`;
  const rate = r.baseline.fixedRate.rate;
  const rows: [string, string | number][] = [
    ['baseline workflows/s (saturation)', r.baseline.saturation.perSec],
    [`baseline latency p50/p95/p99 at ${rate}/s`, lat(r.baseline.fixedRate.latency)],
    ['baseline latency at saturation', lat(r.baseline.saturation.latency)],
    ['threds ingest events/s (POST /events)', r.threds.ingestPerSec],
    ['threds e2e/s (saturation)', r.threds.saturation.perSec],
    [`threds e2e latency at ${rate}/s`, lat(r.threds.fixedRate.latency)],
    ['threds e2e latency at saturation', lat(r.threds.saturation.latency)],
    [`one thred events/s (${r.longThred.continueAsNewRuns} continue-as-new)`, r.longThred.perSec],
    ['idle threds started/s', r.scale.startsPerSec],
    [`${r.scale.idleThreds} idle threds: worker / gateway RSS`, `${r.scale.workerRssMB} / ${r.scale.gatewayRssMB} MB`],
    ['event to an idle thred, latency', lat(r.scale.eventLatency)],
    ['history events per handled event', r.scale.historyEventsPerHandledEvent],
  ];
  console.log('\n| measure | value |\n|---|---|');
  for (const [measure, value] of rows) console.log(`| ${measure} | ${value} |`);
  console.log('\n| target | target value | actual | met |\n|---|---|---|---|');
  for (const t of r.targets) console.log(`| ${t.name} | ${t.target} | ${t.actual} | ${t.met ? 'yes' : 'NO'} |`);
  printProfile(r.profile);
}

function printProfile(phases: PhaseProfile[]): void {
  const names = [...new Set(phases.flatMap((p) => Object.keys(p.cpuPercent)))];
  console.log(
    `\n| phase | wall s | ${names.map((n) => `${n} CPU %`).join(' | ')} |\n|---|---|${names.map(() => '---|').join('')}`,
  );
  for (const p of phases) {
    const cells = names.map((n) => (Number.isFinite(p.cpuPercent[n]) ? String(p.cpuPercent[n]) : '–'));
    console.log(`| ${p.phase} | ${round(p.wallMs / 1000)} | ${cells.join(' | ')} |`);
  }
}
