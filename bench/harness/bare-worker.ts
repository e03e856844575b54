/**
 * A Temporal worker inside the bench process, on a task queue of its own, for the bare-Temporal phases (the
 * baseline and the floor): Worker.create bundles the workflow module at `workflows` (a file URL) as it starts.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Servers } from './threds';

export async function withBareWorker<T>(
  servers: Servers,
  o: { name: string; workflows: URL; activities?: object },
  run: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `bench-${o.name}-${randomBytes(3).toString('hex')}`;
  const native = await NativeConnection.connect({ address: servers.address });
  try {
    const worker = await Worker.create({
      connection: native,
      taskQueue,
      workflowsPath: fileURLToPath(o.workflows),
      ...(o.activities && { activities: o.activities }),
    });
    return await worker.runUntil(() => run(taskQueue));
  } finally {
    await native.close();
  }
}
