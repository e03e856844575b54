/**
 * What the soak reads back while it runs: events applied per thred (the counters in the read model), a sample every
 * second, and the wait for the backlog to reach zero.
 */
import type { Store } from '../../store';
import { percentiles, round } from '../stats';
import type { Load } from './load';

export interface Sample {
  t: number;
  phase: string;
  appliedPerSec: number;
  backlogSum: number;
  backlogMax: number;
  acceptedPerSec: number;
  refusedPerSec: number;
  p50: number;
  p99: number;
  /** Resident memory of the worker and the gateway at the sample (MB): whether it levels off over a long run. */
  workerRssMB?: number;
  gatewayRssMB?: number;
}

/** Events applied, per thred, in the order of the ids. */
export type Applied = () => Promise<number[]>;

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export function appliedFrom(store: Store, ids: string[]): Applied {
  return () => Promise.all(ids.map(async (id) => ((await store.threds.get(id))?.locals.n as number | undefined) ?? 0));
}

/** Every second of a phase that started at `start` (having applied `appliedAtStart`), one Sample into `samples`. */
export function startSampler(
  phase: string,
  start: number,
  appliedAtStart: number,
  o: {
    applied: Applied;
    load: Load;
    thredIds: string[];
    samples: Sample[];
    rss?: () => { worker: number; gateway: number };
  },
): { stop(): void } {
  const { applied, load, thredIds, samples } = o;
  let last = { t: start, applied: appliedAtStart, accepted: load.accepted, refused: load.refused };
  const timer = setInterval(() => {
    void (async () => {
      const per = await applied();
      const now = Date.now();
      // An event may be applied before its sender has read the 202: never below 0.
      const backlogs = thredIds.map((id, i) => Math.max(0, (load.acked.get(id) ?? 0) - (per[i] ?? 0)));
      const p = percentiles(load.takeLatencies());
      const rss = o.rss?.();
      const dt = (now - last.t) / 1000;
      samples.push({
        t: round((now - start) / 1000),
        phase,
        appliedPerSec: round((sum(per) - last.applied) / dt),
        backlogSum: sum(backlogs),
        backlogMax: Math.max(...backlogs),
        acceptedPerSec: round((load.accepted - last.accepted) / dt),
        refusedPerSec: round((load.refused - last.refused) / dt),
        p50: p.p50,
        p99: p.p99,
        ...(rss && { workerRssMB: rss.worker, gatewayRssMB: rss.gateway }),
      });
      last = { t: now, applied: sum(per), accepted: load.accepted, refused: load.refused };
    })();
  }, 1000);
  return { stop: () => clearInterval(timer) };
}

/** Waits until every thred applied what was acknowledged for it (at most 5 minutes): the recovery time. */
export async function drain(
  applied: Applied,
  acked: Map<string, number>,
  ids: string[],
): Promise<{ recoveryMs: number }> {
  const t0 = Date.now();
  while (Date.now() - t0 < 300_000) {
    const per = await applied();
    if (ids.every((id, i) => (per[i] ?? 0) >= (acked.get(id) ?? 0))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { recoveryMs: Date.now() - t0 };
}
