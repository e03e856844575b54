/**
 * The thred worker: hosts the `thred` workflow (prebuilt bundle) and the engine's local activities on the `threds`
 * task queue. Sticky cache and concurrency sized for small threds (SPEC §10; bench/ measures it).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Store } from '../store';
import type { Directory } from '../store/directory';
import { createActivities, type Pusher } from '../activities';
import { THREDS_TASK_QUEUE } from '../workflows/messages';
import { workflowBundle } from './bundle';

export interface ThredWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  store: Store;
  directory: Directory;
  taskQueue?: string;
  push?: Pusher;
  maxCachedWorkflows?: number;
}

export async function createThredWorker(opts: ThredWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? THREDS_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      store: opts.store,
      directory: opts.directory,
      ...(opts.push && { push: opts.push }),
    }),
    // Bounded: idle threds need no cache (an event to an evicted thred replays its short, continued-as-new history).
    // The bench measured ~0.5 GB RSS for a worker holding 300 threds with 10,000 idle threds started.
    maxCachedWorkflows: opts.maxCachedWorkflows ?? Number(process.env.THREDS_MAX_CACHED_WORKFLOWS ?? 300),
    maxConcurrentWorkflowTaskExecutions: 40,
    maxConcurrentLocalActivityExecutions: 100,
    shutdownGraceTime: '10s',
  });
}
