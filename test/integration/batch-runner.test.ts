// Gateway-run batches (gateway/plugins/batch.ts: transition, reset).
// - One runner at a time. When a chunk takes longer than the stale limit (60 s without a heartbeat), another gateway
//   takes the batch over; the first runner, once its chunk returns, must see that it no longer owns the batch and
//   stop — not write its progress over the new owner's and run the rest of the targets a second time. Here the chunk
//   hangs on a thred whose workflow no worker serves (its update waits), and the second gateway's clock runs 61 s
//   ahead, so it finds the batch stale at once.
// - A selection larger than the gateway's `batchMaxTargets` (10,000 by default; 2 here) is refused with 400 naming
//   the query or filter, and acts on nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, type GatewayEngine } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';
import type { BatchRecord } from '../../store/batches';

const pattern = {
  id: 'bto_hold',
  name: 'bto_hold',
  reactions: [
    { name: 'holding', condition: { type: 'filter', xpr: "$event.type = 'bto.hold'" } },
    { name: 'released', condition: { type: 'filter', xpr: 'true' } },
  ],
};

const capped = {
  id: 'bto_cap',
  name: 'bto_cap',
  reactions: [
    {
      name: 'holding',
      condition: { type: 'filter', xpr: "$event.type = 'bto.cap'", transition: { name: '$noTransition' } },
    },
    { name: 'released', condition: { type: 'filter', xpr: 'true' } },
  ],
};

let g: GatewayEngine;
beforeAll(async () => {
  g = await startGatewayEngine('batchrunner', { patterns: [pattern, capped] });
}, 120_000);
afterAll(async () => g?.close());

describe('gateway-run batch takeover', () => {
  it('the runner that lost the batch stops after its chunk; the new owner finishes it alone', async () => {
    const { client } = g.e.s;
    const batches = g.e.store.db.collection<BatchRecord>('batches');
    // A thred workflow on a task queue nobody polls: a transition's update to it waits until the workflow ends.
    const thredId = `bto_hold_${randomBytes(4).toString('hex')}`;
    const handle = await client.workflow.start('thred', {
      taskQueue: `nobody-${randomBytes(4).toString('hex')}`,
      workflowId: thredId,
      args: [{}],
    });
    // Its read-model record, so the transition is checked against the pattern without asking the workflow.
    await g.e.store.db.collection('threds').insertOne({
      _id: thredId as never,
      patternId: 'bto_hold',
      patternName: 'bto_hold',
      status: 'active',
      reaction: 'holding',
      participants: [],
      startTime: Date.now(),
      updateTime: Date.now(),
      version: 1,
    });
    const batchId = `takeover-${randomBytes(4).toString('hex')}`;
    await batches.insertOne({
      _id: batchId,
      op: 'transition',
      query: "WorkflowType='thred'",
      runner: 'gateway',
      args: { transition: { name: 'released' }, reason: 'test' },
      createdBy: 'ops',
      createdAt: 1,
      state: 'running',
      targets: [thredId],
      cursor: 0,
      done: 0,
      failed: 0,
      errors: [],
      heartbeatAt: 1,
      owner: 'gone',
    });
    const ownerIs = (gatewayId: string) =>
      waitFor(
        async () => (await batches.findOne({ _id: batchId }))?.owner?.startsWith(`${gatewayId}:`),
        `${gatewayId} to claim the batch`,
      );

    // Gateway A resumes the stale batch at start; its chunk hangs on the update.
    const a = await g.gateway({}, false);
    await ownerIs(a.deps.gatewayId);
    // Gateway B, 61 s later by its clock, finds A's heartbeat stale and takes the batch over.
    const b = await g.gateway({ now: () => Date.now() + 61_000 }, false);
    await ownerIs(b.deps.gatewayId);

    // The thred ends: both runners' pending updates return (as failures), and each runner goes on from there.
    await handle.terminate('test: release the hanging chunk');
    // Closing a gateway waits for its runners to stop.
    await Promise.all([a.app.close(), b.app.close()]);
    const record = (await batches.findOne({ _id: batchId }))!;
    expect(record.owner?.startsWith(`${b.deps.gatewayId}:`)).toBe(true);
    expect(record).toMatchObject({ state: 'completed', cursor: 1, done: 0, failed: 1 });
    expect(record.errors).toHaveLength(1);
    expect(record.errors![0]!.thredId).toBe(thredId);
  }, 90_000);
});

describe('gateway-run batch size', () => {
  it('refuses a selection larger than batchMaxTargets (400), and runs one within it', async () => {
    const gw = await g.gateway({ limits: { batchMaxTargets: 2 } }, false);
    const admin = g.bearer('ops', ['admin']);
    const post = (url: string, payload: object, headers = admin) =>
      gw.app.inject({ method: 'POST', url, payload, headers });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post('/events', { type: 'bto.cap', source: { id: 'x' } }, g.bearer('sensor'));
      expect(res.statusCode, res.body).toBe(202);
      ids.push(res.json().results[0].started[0] as string);
    }
    const filter = { pattern: 'bto_cap', reaction: 'holding' };
    // Visibility is eventually consistent; a dry run is not capped and counts exactly.
    await waitFor(async () => {
      const res = await post('/threds/batch', {
        op: 'transition',
        filter,
        transition: { name: 'released' },
        dryRun: true,
      });
      return res.json().count === 3;
    }, 'the three threds to be visible');

    for (const [body, path] of [
      [{ filter }, '/filter'],
      [{ query: "ThredPattern='bto_cap'" }, '/query'],
    ] as const) {
      const res = await post('/threds/batch', { op: 'transition', ...body, transition: { name: 'released' } });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'THREDS_ERR_VALIDATION',
        details: [{ path, reason: 'selects more than 2 threds; narrow it' }],
      });
    }
    expect(await g.e.store.db.collection('batches').countDocuments({ op: 'transition', query: /bto_cap/ })).toBe(0);

    const within = await post('/threds/batch', {
      op: 'transition',
      query: `WorkflowId='${ids[0]}' OR WorkflowId='${ids[1]}'`,
      transition: { name: 'released' },
    });
    expect(within.statusCode, within.body).toBe(202);
    const view = await waitFor(async () => {
      const v = (
        await gw.app.inject({ method: 'GET', url: `/threds/batch/${within.json().batchId}`, headers: admin })
      ).json();
      return v.state === 'completed' ? v : undefined;
    }, 'the batch within the cap to finish');
    expect(view).toMatchObject({ total: 2, done: 2, failed: 0 });
    expect((await g.e.store.threds.get(ids[2]!))?.reaction).toBe('holding');
  }, 60_000);
});
