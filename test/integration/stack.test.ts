// Proves the stack is real: a workflow runs on the Temporal dev server and its activity writes to and reads from the
// MongoDB-compatible server through the official driver.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { connectTestServers, type TestServers } from '../helpers/servers';
import { createSmokeActivities } from './smoke-activities';

let s: TestServers;
beforeAll(async () => {
  s = await connectTestServers('stack');
});
afterAll(async () => s?.close());

describe('stack', () => {
  it('runs a workflow whose activity round-trips a document through MongoDB', async () => {
    const worker = await Worker.create({
      connection: await (await import('@temporalio/worker')).NativeConnection.connect({ address: s.address }),
      namespace: s.namespace,
      taskQueue: s.taskQueue,
      workflowsPath: fileURLToPath(new URL('../fixtures/workflows/smoke.ts', import.meta.url)),
      activities: createSmokeActivities(s.db),
    });
    const value = `v-${Date.now()}`;
    const result = await worker.runUntil(
      s.client.workflow.execute('smokeWorkflow', {
        taskQueue: s.taskQueue,
        workflowId: `smoke-${value}`,
        args: ['k1', value],
      }),
    );
    expect(result).toBe(value);
    // Read it back independently of the activity: the write really reached the database.
    expect(await s.db.collection('smoke').findOne({ _id: 'k1' as never })).toMatchObject({ value });
    const desc = await s.client.workflow.getHandle(`smoke-${value}`).describe();
    expect(desc.status.name).toBe('COMPLETED');
  });
});
