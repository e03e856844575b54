/**
 * Bare Temporal on the same servers: signal-with-start of a minimal workflow that runs one activity and completes
 * (bench/baseline-workflow.ts). Latency is signal sent → activity started.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createBaselineActivities } from '../baseline-activities';
import type { Servers } from '../harness/threds';
import type { BenchContext } from './context';
import { measureLoad, type LoadResult, type Saturation } from './load';

export async function runBaseline(ctx: BenchContext, servers: Servers): Promise<LoadResult> {
  const latencies: number[] = [];
  const taskQueue = `bench-baseline-${randomBytes(3).toString('hex')}`;
  const native = await NativeConnection.connect({ address: servers.address });
  try {
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('../baseline-workflow.ts', import.meta.url)),
      activities: createBaselineActivities(latencies),
    });
    const one = async () => {
      const handle = await servers.client.workflow.signalWithStart('baseline', {
        workflowId: `baseline-${randomUUID()}`,
        taskQueue,
        signal: 'ping',
        signalArgs: [Date.now()],
      });
      await handle.result();
    };
    // Half of saturation: a rate the baseline sustains, which the Threds fixed-rate phase then offers too.
    const rateOf = (s: Saturation) => Math.max(5, Math.floor(s.perSec * 0.5));
    return await worker.runUntil(() => measureLoad(ctx, 'baseline', one, latencies, rateOf));
  } finally {
    await native.close();
  }
}
