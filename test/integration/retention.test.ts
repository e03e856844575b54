// Retention (THREDS_RETENTION) through the real entry points: a `threds worker` process with a retention of seconds
// sweeps an ended thred away — its record, events, log and outbox entries — and events that reached no thred, while a
// running thred and the dead letters stay; the HTTP API then answers as for a thred that never was. Two sweeps at once
// (as two workers would run them) with a clock days ahead remove every ended thred exactly once, and still keep the
// running one and the dead letters.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../patterns';
import { sweepRetention } from '../../store';
import { projectRoot } from '../../bin/stack';
import { JWT_SECRET, startGatewayEngine, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { eventId, waitFor } from '../helpers/engine';
import { jsonOf, startThreds, type ThredsProcess } from '../helpers/threds-process';

const AGENT = `test.retention.down.${randomBytes(3).toString('hex')}`;
const DAY = 86_400_000;

// open → (publish to the thred) → ask (publish to an agent that always fails: a dead letter) → close ends the thred.
const flow = {
  id: 'rt_flow',
  name: 'Retention Flow',
  reactions: [
    {
      name: 'open',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'rt.open'",
        transform: { eventDataTemplate: { title: 'opened' } },
        publish: { to: '$thred' },
      },
    },
    {
      name: 'ask',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'rt.ask'",
        transform: { eventDataTemplate: { title: 'please answer' } },
        publish: { to: AGENT },
      },
    },
    {
      name: 'close',
      condition: { type: 'filter', xpr: "$event.type = 'rt.close'", transition: { name: '$terminate' } },
    },
  ],
};

let g: GatewayEngine;
let gw: Gateway;
let worker: ThredsProcess | undefined;
const admin = () => g.bearer('ops', ['admin']);

async function post(type: string, thredId?: string): Promise<string[]> {
  const res = await gw.app.inject({
    method: 'POST',
    url: '/events',
    headers: g.bearer('alice'),
    payload: { id: eventId(type), type, source: { id: 'alice' }, ...(thredId && { thredId }) },
  });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json() as { results: { started: string[] }[] }).results[0]!.started;
}

const get = (url: string) => gw.app.inject({ method: 'GET', url, headers: admin() });
const auditOf = async (qs: string) => (await get(`/events?limit=500&${qs}`)).json().events as unknown[];
const deadLetters = async () =>
  ((await get('/dead-letters')).json().deadLetters as { id: string; thredId: string }[]).map((d) => d.thredId);

/** A thred run to its dead letter and its end; answers its id once the read model says it ended. */
async function endedThred(): Promise<string> {
  const [id] = await post('rt.open');
  await post('rt.ask', id);
  await waitFor(async () => (await deadLetters()).includes(id!), `the dead letter of ${id}`, 30_000);
  await post('rt.close', id);
  await waitFor(async () => (await get(`/threds/${id}`)).json().status === 'terminated', `${id} ended`, 30_000);
  return id!;
}

async function runningThred(): Promise<string> {
  const [id] = await post('rt.open');
  await waitFor(async () => (await get(`/threds/${id}`)).json().reaction === 'ask', `${id} waiting`);
  return id!;
}

beforeAll(async () => {
  g = await startGatewayEngine('retention', {
    patterns: [flow],
    agents: [
      {
        nodeType: AGENT,
        retry: { initialInterval: '50ms', maximumAttempts: 1 },
        handler: async (_m: Message) => {
          throw ApplicationFailure.retryable('always down', 'Down');
        },
      },
    ],
  });
  gw = await g.gateway({}, false);
});
afterAll(async () => {
  await worker?.stop();
  await g?.close();
});

describe('retention', () => {
  it('a worker with THREDS_RETENTION removes an ended thred and thredless events; running threds and dead letters stay', async () => {
    const running = await runningThred();
    // Stored before the thred ends: a sweep whose cutoff passes the thred's end passes the stray event too.
    await post('rt.stray'); // no pattern takes it
    const ended = await endedThred();
    expect((await get(`/threds/${ended}`)).statusCode).toBe(200);
    expect(await auditOf(`thredId=${ended}`)).not.toHaveLength(0);
    expect(await auditOf('type=rt.stray')).toHaveLength(1);
    expect((await g.e.store.outbox.since('alice', 0)).map((o) => o.thredId)).toContain(ended);

    worker = startThreds('worker', ['worker'], {
      MONGO_DB: g.e.s.dbName,
      // Its own task queue: this process only sweeps, the test's worker runs the threds.
      THREDS_TASK_QUEUE: `${g.e.s.taskQueue}_sweeper`,
      THREDS_JWT_SECRET: JWT_SECRET,
      THREDS_CONFIG_DIR: join(projectRoot, 'test', 'fixtures', 'config-empty'),
      THREDS_METRICS_PORT: 'off',
      THREDS_RETENTION: '3s',
      THREDS_RETENTION_SWEEP_INTERVAL: '300ms',
      LOG_LEVEL: 'info',
    });
    const line = await worker.waitForLine(
      (t) => ((jsonOf(t)?.retention as { threds?: number } | undefined)?.threds ?? 0) > 0,
      'a sweep that removed the ended thred',
      60_000,
    );
    expect(jsonOf(line)).toMatchObject({ retention: { threds: 1 } });

    for (const url of [`/threds/${ended}`, `/threds/${ended}/events`, `/threds/${ended}/log`]) {
      expect((await get(url)).statusCode, url).toBe(404);
    }
    expect(await auditOf(`thredId=${ended}`)).toEqual([]);
    expect(await auditOf('type=rt.stray')).toEqual([]);
    expect((await g.e.store.outbox.since('alice', 0)).map((o) => o.thredId)).not.toContain(ended);
    expect(await deadLetters()).toContain(ended);

    expect((await get(`/threds/${running}`)).json()).toMatchObject({ status: 'active', reaction: 'ask' });
    expect((await get(`/threds/${running}/events`)).json().events).not.toHaveLength(0);
    expect(await auditOf(`thredId=${running}`)).not.toHaveLength(0);
    expect((await g.e.store.outbox.since('alice', 0)).map((o) => o.thredId)).toContain(running);
    expect(worker.lines.filter((l) => l.stream === 'stderr')).toEqual([]);
    await worker.stop();
    worker = undefined;
  });

  it('two sweeps at once, days ahead, remove every ended thred once and keep running threds and dead letters', async () => {
    const ended = [await endedThred(), await endedThred()];
    const running = await runningThred();
    const letters = await deadLetters();
    const at = Date.now() + 2 * DAY;
    const reports = await Promise.all([
      sweepRetention(g.e.store, { now: at, retentionMs: DAY }),
      sweepRetention(g.e.store, { now: at, retentionMs: DAY }),
    ]);
    expect(reports[0]!.threds + reports[1]!.threds).toBe(2);
    for (const id of ended) {
      expect((await get(`/threds/${id}`)).statusCode).toBe(404);
      expect(await auditOf(`thredId=${id}`)).toEqual([]);
    }
    const listed = (await get('/threds?limit=500')).json().threds as { thredId: string; status: string }[];
    expect(listed.map((t) => t.thredId)).toContain(running);
    expect(listed.filter((t) => t.status !== 'active')).toEqual([]);
    expect(await auditOf(`thredId=${running}`)).not.toHaveLength(0);
    expect(await deadLetters()).toEqual(letters);
    // Again: nothing left to remove.
    expect(await sweepRetention(g.e.store, { now: at, retentionMs: DAY })).toEqual({
      threds: 0,
      events: 0,
      log: 0,
      outbox: 0,
      deliveries: 0,
    });
  });
});
