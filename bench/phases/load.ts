/**
 * The measure the baseline and Threds end to end share, so that they compare: throughput and latency at
 * saturation (closed loop), then latency at a fixed rate (open loop) for the same time.
 */
import { progress, timedProgress } from '../harness/progress';
import { closedLoop, openLoop, percentiles, round, type Percentiles } from '../stats';
import type { BenchContext } from './context';

export interface Saturation {
  perSec: number;
  latency: Percentiles;
  errors: number;
}

export interface FixedRate {
  rate: number;
  latency: Percentiles;
  errors: number;
}

export interface LoadResult {
  saturation: Saturation;
  fixedRate: FixedRate;
}

/** The names of the two profiled phases of a measure labelled `label` (bench/profile.ts). */
export function loadPhases(label: string) {
  return { saturation: `${label} saturation`, fixedRate: `${label} fixed rate` };
}

/** Half of saturation, at least 5/s: a rate the measured side sustains. */
export function sustainedRate(saturation: Saturation): number {
  return Math.max(5, Math.floor(saturation.perSec * 0.5));
}

/**
 * `one` does one unit of work and records its latency in `latencies`, which is emptied before each measure;
 * `rateOf` picks the fixed rate once saturation is known. `label` names the phases in the progress and profile.
 */
export async function measureLoad(
  ctx: BenchContext,
  label: string,
  one: () => Promise<void>,
  latencies: number[],
  rateOf: (saturation: Saturation) => number,
): Promise<LoadResult> {
  const { durationMs, concurrency } = ctx.opts;
  const phases = loadPhases(label);
  await closedLoop(2000, concurrency, one); // warm-up: bundle load, caches
  latencies.length = 0;
  let bar = timedProgress(`${label} saturation (s)`, durationMs);
  const sat = await ctx.phase(phases.saturation, () => closedLoop(durationMs, concurrency, one));
  bar.stop();
  const saturation: Saturation = {
    perSec: round((sat.completed * 1000) / sat.elapsedMs),
    latency: percentiles(latencies),
    errors: sat.errors,
  };
  const rate = rateOf(saturation);
  latencies.length = 0;
  bar = progress(`${label} at ${rate}/s`, Math.round((durationMs / 1000) * rate));
  const fixed = await ctx.phase(phases.fixedRate, () => openLoop(durationMs, rate, one, bar.tick));
  bar.stop();
  return { saturation, fixedRate: { rate, latency: percentiles(latencies), errors: fixed.errors } };
}
