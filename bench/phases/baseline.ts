/**
 * Bare Temporal on the same servers: signal-with-start of a minimal workflow that runs one activity and completes
 * (bench/baseline-workflow.ts). Latency is signal sent → activity started.
 */
import { randomUUID } from 'node:crypto';
import { createBaselineActivities } from '../baseline-activities';
import { withBareWorker } from '../harness/bare-worker';
import type { Servers } from '../harness/threds';
import type { BenchContext } from './context';
import { measureLoad, sustainedRate, type LoadResult } from './load';

export async function runBaseline(ctx: BenchContext, servers: Servers): Promise<LoadResult> {
  const latencies: number[] = [];
  const workflows = new URL('../baseline-workflow.ts', import.meta.url);
  const activities = createBaselineActivities(latencies);
  return withBareWorker(servers, { name: 'baseline', workflows, activities }, (taskQueue) => {
    const one = async () => {
      const handle = await servers.client.workflow.signalWithStart('baseline', {
        workflowId: `baseline-${randomUUID()}`,
        taskQueue,
        signal: 'ping',
        signalArgs: [Date.now()],
      });
      await handle.result();
    };
    // A rate the baseline sustains, which the Threds fixed-rate phase then offers too.
    return measureLoad(ctx, 'baseline', one, latencies, sustainedRate);
  });
}
