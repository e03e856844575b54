/**
 * The floor: the cheapest unit the Temporal server can do — signal-with-start of a workflow that completes in its
 * first workflow task (bench/floor-workflow.ts: no activity, no timer). Latency is start sent → completion seen by
 * the client. The fixed rate is the baseline's (the rate Threds is offered too, so the three latencies compare),
 * unless the floor sustains less.
 */
import { randomUUID } from 'node:crypto';
import { withBareWorker } from '../harness/bare-worker';
import type { Servers } from '../harness/threds';
import type { BenchContext } from './context';
import { measureLoad, sustainedRate, type LoadResult, type Saturation } from './load';

/** The baseline's rate if the floor sustains it, else the rate the floor sustains. */
export function floorRate(saturation: Saturation, baselineRate: number): number {
  return Math.min(baselineRate, sustainedRate(saturation));
}

export async function runFloor(ctx: BenchContext, servers: Servers, baselineRate: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const workflows = new URL('../floor-workflow.ts', import.meta.url);
  return withBareWorker(servers, { name: 'floor', workflows }, (taskQueue) => {
    const one = async () => {
      const sentAt = Date.now();
      const handle = await servers.client.workflow.signalWithStart('floor', {
        workflowId: `floor-${randomUUID()}`,
        taskQueue,
        signal: 'ping',
        signalArgs: [sentAt],
      });
      await handle.result();
      latencies.push(Date.now() - sentAt);
    };
    return measureLoad(ctx, 'floor', one, latencies, (s) => floorRate(s, baselineRate));
  });
}
