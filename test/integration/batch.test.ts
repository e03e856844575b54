// Batch operations through the HTTP API on the real engine (Temporal dev server + FerretDB): threds selected by a
// filter or a visibility query over the search attributes, a dry run's count, terminate (a Temporal batch job),
// transition and reset (the gateway's resumable loop), the progress route, and bad bodies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';

const holdPattern = (id: string, type: string) => ({
  id,
  name: id,
  reactions: [
    {
      name: 'holding',
      condition: { type: 'filter', xpr: `$event.type = '${type}'`, transition: { name: '$noTransition' } },
    },
    { name: 'released', condition: { type: 'filter', xpr: 'true' } },
  ],
});

let g: GatewayEngine;
let gw: Gateway;
let admin: { authorization: string };
const sensor = () => g.bearer('sensor0');

beforeAll(async () => {
  g = await startGatewayEngine('batch', {
    patterns: [holdPattern('bt_term', 'bt.term'), holdPattern('bt_move', 'bt.move'), holdPattern('bt_keep', 'bt.keep')],
  });
  gw = await g.gateway({}, false);
  admin = g.bearer('ops', ['admin']);
});
afterAll(async () => g?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = admin) =>
  gw.app.inject({ method: 'POST', url, payload: payload as object, headers });
const get = (url: string, headers: Record<string, string> = admin) => gw.app.inject({ method: 'GET', url, headers });

async function start(type: string): Promise<string> {
  const res = await post('/events', { type, source: { id: 'x' } }, sensor());
  expect(res.statusCode).toBe(202);
  return res.json().results[0].started[0] as string;
}

/** Visibility is eventually consistent: waits until a dry run selects exactly `ids`. */
async function selected(body: object, ids: string[]) {
  return waitFor(async () => {
    const res = await post('/threds/batch', { ...body, dryRun: true });
    expect(res.statusCode).toBe(200);
    const r = res.json() as { count: number; thredIds: string[] };
    return r.count === ids.length && [...r.thredIds].sort().join() === [...ids].sort().join() ? r : undefined;
  }, `a dry run selecting ${ids.length} threds`);
}

async function finished(batchId: string) {
  return waitFor(
    async () => {
      const res = await get(`/threds/batch/${batchId}`);
      expect(res.statusCode).toBe(200);
      const v = res.json() as { state: string };
      return v.state !== 'running' ? (v as Record<string, unknown>) : undefined;
    },
    `batch ${batchId} to finish`,
    60_000,
  );
}

describe('POST /threds/batch', () => {
  it('terminates every thred a filter selects (a Temporal batch job), after a dry run counted them', async () => {
    const targets = [await start('bt.term'), await start('bt.term'), await start('bt.term')];
    const bystander = await start('bt.keep');
    const dry = await selected({ op: 'terminate', filter: { pattern: 'bt_term', reaction: 'holding' } }, targets);
    expect(dry).toMatchObject({
      dryRun: true,
      op: 'terminate',
      count: 3,
      query:
        "WorkflowType='thred' AND ExecutionStatus='Running' AND ThredPattern='bt_term' AND ThredReaction='holding'",
    });
    // The dry run acted on nothing.
    for (const id of targets) {
      await waitFor(async () => (await get(`/threds/${id}`)).json().status === 'active', `${id} in the read model`);
    }

    const res = await post('/threds/batch', {
      op: 'terminate',
      filter: { pattern: 'bt_term', reaction: 'holding' },
      reason: 'cleanup',
    });
    expect(res.statusCode).toBe(202);
    const { batchId } = res.json() as { batchId: string };
    expect(res.json()).toMatchObject({
      batchId: expect.any(String),
      op: 'terminate',
      runner: 'temporal',
      createdBy: 'ops',
    });

    expect(await finished(batchId)).toMatchObject({ state: 'completed', total: 3, done: 3, failed: 0, errors: [] });
    // Through the thred's own terminate: the read model records the end.
    for (const id of targets) {
      await waitFor(async () => (await get(`/threds/${id}`)).json().status === 'terminated', `${id} terminated`);
    }
    expect((await get(`/threds/${bystander}`)).json()).toMatchObject({ status: 'active', reaction: 'holding' });
  });

  it('transitions the threds a visibility query selects, then resets them; per-thred errors are reported', async () => {
    const targets = [await start('bt.move'), await start('bt.move')];
    const query = "ThredPattern='bt_move' AND ThredReaction='holding'";
    await selected({ op: 'transition', query, transition: { name: 'released' } }, targets);

    // A target the pattern lacks fails per thred (the batch itself completes).
    const wrong = await post('/threds/batch', { op: 'transition', query, transition: { name: 'nowhere' } });
    expect(wrong.statusCode).toBe(202);
    const wrongDone = await finished(wrong.json().batchId);
    expect(wrongDone).toMatchObject({ state: 'completed', runner: 'gateway', total: 2, done: 0, failed: 2 });
    expect((wrongDone.errors as { thredId: string; reason: string }[]).map((e) => e.thredId).sort()).toEqual(
      [...targets].sort(),
    );
    expect((wrongDone.errors as { reason: string }[])[0]!.reason).toContain('has no reaction "nowhere"');

    const moved = await post('/threds/batch', { op: 'transition', query, transition: { name: 'released' } });
    expect(moved.statusCode).toBe(202);
    expect(await finished(moved.json().batchId)).toMatchObject({
      state: 'completed',
      total: 2,
      done: 2,
      failed: 0,
      errors: [],
    });
    for (const id of targets)
      expect((await get(`/threds/${id}`)).json()).toMatchObject({ status: 'active', reaction: 'released' });

    // Reset every thred of the pattern stuck in `released` to its start, without re-applying the transition.
    const stuck = { pattern: 'bt_move', reaction: 'released' };
    await selected({ op: 'reset', filter: stuck, to: 'first-workflow-task' }, targets);
    const reset = await post('/threds/batch', {
      op: 'reset',
      filter: stuck,
      to: 'first-workflow-task',
      reapplyExclude: ['updates'],
    });
    expect(reset.statusCode).toBe(202);
    expect(await finished(reset.json().batchId)).toMatchObject({
      op: 'reset',
      state: 'completed',
      total: 2,
      done: 2,
      failed: 0,
    });
    for (const id of targets)
      expect((await get(`/threds/${id}`)).json()).toMatchObject({ status: 'active', reaction: 'holding' });
    // The reset runs take events again (the read model was rewound, as by the single-thred route).
    const taken = await post('/events', { type: 'bt.move', source: { id: 'x' }, thredId: targets[0] }, sensor());
    expect(taken.statusCode).toBe(202);
    expect(taken.json().results[0].thredIds).toEqual([targets[0]]);
  });

  it('a gateway-run batch whose runner stopped is resumed from its cursor by a gateway that starts', async () => {
    const [done, left] = [await start('bt.move'), await start('bt.move')];
    // As a runner that died after its first chunk leaves it: cursor past the first target, old heartbeat.
    const batchId = `stale-${Date.now()}`;
    await g.e.store.db.collection('batches').insertOne({
      _id: batchId as never,
      op: 'transition',
      query: "WorkflowType='thred'",
      runner: 'gateway',
      args: { transition: { name: 'released' }, reason: 'test' },
      createdBy: 'ops',
      createdAt: 1,
      state: 'running',
      targets: [done, left],
      cursor: 1,
      done: 1,
      failed: 0,
      errors: [],
      heartbeatAt: 1,
      owner: 'gone',
    });
    const next = await g.gateway({}, false); // its onReady looks for stale batches
    const view = await waitFor(async () => {
      const v = (await next.app.inject({ method: 'GET', url: `/threds/batch/${batchId}`, headers: admin })).json();
      return v.state === 'completed' ? v : undefined;
    }, 'the resumed batch to finish');
    expect(view).toMatchObject({ total: 2, done: 2, failed: 0 });
    expect((await g.e.store.threds.get(left))?.reaction).toBe('released');
    // The first target, before the cursor, was not acted on again.
    expect((await g.e.store.threds.get(done))?.reaction).toBe('holding');
  });

  it.each([
    [{ filter: { pattern: 'p' } }, '/op', 'is required'],
    [{ op: 'explode', filter: { pattern: 'p' } }, '/op', ''],
    [{ op: 'terminate' }, '/query', 'is required (or /filter)'],
    [
      { op: 'terminate', query: "ThredPattern='p'", filter: { pattern: 'p' } },
      '/filter',
      'must not be given together with /query',
    ],
    [{ op: 'terminate', filter: {} }, '/filter', ''],
    [{ op: 'terminate', filter: { status: 'sleeping' } }, '/filter/status', ''],
    [{ op: 'transition', filter: { pattern: 'p' } }, '/transition', 'is required for op transition'],
    [{ op: 'reset', filter: { pattern: 'p' } }, '/to', 'is required for op reset'],
    [{ op: 'terminate', filter: { pattern: 'p' }, to: 'first-workflow-task' }, '/to', 'is only for op reset'],
    [{ op: 'terminate', query: 'ThredPattern = = 1', dryRun: true }, '/query', 'is not a valid visibility query'],
    // Would close the group the query is wrapped in and OR in workflows that are not threds.
    [
      { op: 'terminate', query: "ThredPattern='x') OR (WorkflowType='other'", dryRun: true },
      '/query',
      'unbalanced parentheses',
    ],
    [{ op: 'terminate', filter: { pattern: 'p' }, dryRun: 'yes' }, '/dryRun', ''],
  ])('400 for %j naming %s', async (body, path, reason) => {
    const res = await post('/threds/batch', body);
    expect(res.statusCode).toBe(400);
    const err = res.json() as { code: string; details: { path: string; reason: string }[] };
    expect(err.code).toBe('THREDS_ERR_VALIDATION');
    expect(err.details.map((d) => d.path)).toContain(path);
    if (reason) expect(err.details.find((d) => d.path === path)!.reason).toContain(reason);
  });

  it('is for admins only; an unknown batch is 404', async () => {
    expect(
      (await post('/threds/batch', { op: 'terminate', filter: { pattern: 'bt_keep' } }, sensor())).statusCode,
    ).toBe(403);
    expect((await post('/threds/batch', { op: 'terminate', filter: { pattern: 'bt_keep' } }, {})).statusCode).toBe(401);
    const missing = await get('/threds/batch/no-such-batch');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({
      code: 'THREDS_ERR_NOT_FOUND',
      message: 'batch no-such-batch does not exist',
    });
  });
});
