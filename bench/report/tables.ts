/**
 * The tables `npm run bench` prints on stdout: the measures (with Threds' ratios to the floor and the baseline),
 * each target met or not, where the CPU went in each phase, and the per-core figures of the end-to-end phases.
 */
import type { PhaseProfile } from '../profile';
import { round, type Percentiles } from '../stats';
import { LOAD_GENERATOR, type CpuPerEvents, type PercentileRatios } from './figures';
import type { BenchResult } from './report';

const lat = (p: Percentiles) => `${p.p50} / ${p.p95} / ${p.p99} ms`;
const times = (r: PercentileRatios) => `${r.p50}× / ${r.p95}× / ${r.p99}×`;

function table(header: string[], rows: (string | number)[][]): void {
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---|').join('')}`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

export function printTables(r: BenchResult): void {
  const rate = r.baseline.fixedRate.rate;
  const floorRate = r.floor.fixedRate.rate;
  const { ratios } = r.threds;
  table(
    ['measure', 'value'],
    [
      ['floor workflows/s (saturation)', r.floor.saturation.perSec],
      [`floor latency p50/p95/p99 at ${floorRate}/s`, lat(r.floor.fixedRate.latency)],
      ['floor latency at saturation', lat(r.floor.saturation.latency)],
      ['baseline workflows/s (saturation)', r.baseline.saturation.perSec],
      [`baseline latency p50/p95/p99 at ${rate}/s`, lat(r.baseline.fixedRate.latency)],
      ['baseline latency at saturation', lat(r.baseline.saturation.latency)],
      ['threds ingest events/s (POST /events)', r.threds.ingestPerSec],
      ['threds e2e/s (saturation)', r.threds.saturation.perSec],
      [`threds e2e latency at ${rate}/s`, lat(r.threds.fixedRate.latency)],
      ['threds e2e latency at saturation', lat(r.threds.saturation.latency)],
      [`one thred events/s (${r.longThred.continueAsNewRuns} continue-as-new)`, r.longThred.perSec],
      ['idle threds started/s', r.scale.startsPerSec],
      [
        `${r.scale.idleThreds} idle threds: worker / gateway RSS`,
        `${r.scale.workerRssMB} / ${r.scale.gatewayRssMB} MB`,
      ],
      ['event to an idle thred, latency', lat(r.scale.eventLatency)],
      ['history events per handled event', r.scale.historyEventsPerHandledEvent],
    ],
  );
  table(
    ['threds e2e ÷', 'the floor', 'the baseline'],
    [
      [
        'throughput (saturation)',
        `${ratios.saturationThroughputToFloor}×`,
        `${ratios.saturationThroughputToBaseline}×`,
      ],
      [
        `latency p50/p95/p99 at ${rate}/s (floor at ${floorRate}/s)`,
        times(ratios.latencyToFloor.fixedRate),
        times(ratios.latencyToBaseline.fixedRate),
      ],
      [
        'latency p50/p95/p99 at saturation',
        times(ratios.latencyToFloor.saturation),
        times(ratios.latencyToBaseline.saturation),
      ],
    ],
  );
  table(
    ['target', 'target value', 'actual', 'met'],
    r.targets.map((t) => [t.name, t.target, t.actual, t.met ? 'yes' : 'NO']),
  );
  printProfile(r.profile);
  printPerCore(r.perCore.saturation, r.perCore.fixedRate);
}

const cell = (n: number | undefined) => (Number.isFinite(n) ? String(n) : '–');

function printProfile(phases: PhaseProfile[]): void {
  const names = [...new Set(phases.flatMap((p) => Object.keys(p.cpuPercent)))];
  table(
    ['phase', 'wall s', ...names.map((n) => `${n} CPU %`)],
    phases.map((p) => [p.phase, round(p.wallMs / 1000), ...names.map((n) => cell(p.cpuPercent[n]))]),
  );
}

/** Per process, CPU seconds per 1,000 end-to-end events, at saturation and at the fixed rate. */
function printPerCore(saturation: CpuPerEvents, fixedRate: CpuPerEvents): void {
  const names = [
    ...new Set([...Object.keys(saturation.cpuSecondsPer1000), ...Object.keys(fixedRate.cpuSecondsPer1000)]),
  ];
  const name = (n: string) => (n === LOAD_GENERATOR ? `${n} (load generator, not in the total)` : n);
  table(
    [
      'process',
      `CPU s / 1,000 e2e events at saturation (${saturation.events} events)`,
      `at the fixed rate (${fixedRate.events} events)`,
    ],
    [
      ...names.map((n) => [name(n), cell(saturation.cpuSecondsPer1000[n]), cell(fixedRate.cpuSecondsPer1000[n])]),
      [
        `all: CPU ms per e2e event (${saturation.processes.join(', ')})`,
        cell(saturation.totalCpuMsPerEvent),
        cell(fixedRate.totalCpuMsPerEvent),
      ],
    ],
  );
}
