/**
 * One open-loop phase of the soak at a share of saturation: the load on schedule, sampled every second, then the
 * wait for the backlog to drain (the recovery time).
 */
import type { Threds } from '../harness/threds';
import { round } from '../stats';
import type { Load } from './load';
import { drain, startSampler, sum, type Applied, type Sample } from './sampler';

export interface PhaseSummary {
  name: string;
  offeredPerSec: number;
  appliedPerSec: number;
  accepted: number;
  refused: number;
  maxBacklog: number;
  maxBacklogPerThred: number;
  recoveryMs: number;
  loadMs: number;
  connectionErrors: number;
  rss: { worker: number; gateway: number };
}

export interface SoakRig {
  threds: Threds;
  load: Load;
  applied: Applied;
  thredIds: string[];
  /** Every phase's samples, in order. */
  samples: Sample[];
}

export async function runPhase(rig: SoakRig, name: string, rate: number, durationMs: number): Promise<PhaseSummary> {
  const { load, applied, thredIds } = rig;
  load.takeLatencies();
  const acceptedAt = load.accepted;
  const refusedAt = load.refused;
  const errorsAt = load.connectionErrors;
  const start = Date.now();
  const appliedAtStart = sum(await applied());
  const sampler = startSampler(name, start, appliedAtStart, { ...rig, rss: () => rig.threds.rssMB() });
  let loadEnd: number;
  let recoveryMs: number;
  try {
    await load.openLoop(rate, durationMs, start);
    loadEnd = Date.now();
    ({ recoveryMs } = await drain(applied, load.acked, thredIds));
  } finally {
    sampler.stop();
  }
  const mine = rig.samples.filter((s) => s.phase === name);
  return {
    name,
    offeredPerSec: round(rate),
    appliedPerSec: round(((sum(await applied()) - appliedAtStart) * 1000) / (Date.now() - start)),
    accepted: load.accepted - acceptedAt,
    refused: load.refused - refusedAt,
    maxBacklog: Math.max(0, ...mine.map((s) => s.backlogSum)),
    maxBacklogPerThred: Math.max(0, ...mine.map((s) => s.backlogMax)),
    recoveryMs,
    loadMs: loadEnd - start,
    connectionErrors: load.connectionErrors - errorsAt,
    rss: rig.threds.rssMB(),
  };
}
