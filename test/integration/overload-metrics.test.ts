// The overload knobs and their metrics through the real entry points: `threds gateway` and `threds worker` as child
// processes configured only by environment (THREDS_HISTORY_MAX_EVENTS, THREDS_TASK_ITEMS, THREDS_THRED_BACKLOG). A
// burst to one thred is partly refused (503 + Retry-After), the thred continues as new by history length, and both
// /metrics endpoints show it: refusals by reason, history length at continue-as-new, continue-as-new by reason,
// the backlog gauges, and the SDK's workflow-task duration.
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../bin/stack';
import { createStore } from '../../store';
import { validatePattern } from '../../patterns';
import { signAccessToken } from '../../gateway/tokens';
import { stateQuery } from '../../workflows/messages';
import { connectTestServers, type TestServers } from '../helpers/servers';
import { waitFor } from '../helpers/engine';
import { freePort, startThreds, type ThredsProcess } from '../helpers/threds-process';
import { sample, scrape } from '../helpers/prometheus';
import { counterPattern } from '../fixtures/patterns/counters';

const JWT_SECRET = 'overload-' + randomBytes(12).toString('hex');
const PATTERN = `ovl_tally_${randomBytes(3).toString('hex')}`;
const children: ThredsProcess[] = [];
let s: TestServers;
let ports: { gateway: number; worker: number };

function start(name: string, args: string[], env: Record<string, string>): void {
  children.push(
    startThreds(name, args, {
      MONGO_DB: s.dbName,
      THREDS_JWT_SECRET: JWT_SECRET,
      THREDS_CONFIG_DIR: join(projectRoot, 'test', 'fixtures', 'config-empty'),
      THREDS_TASK_QUEUE: s.taskQueue,
      LOG_LEVEL: 'warn',
      ...env,
    }),
  );
}

const logs = () => children.map((c) => c.tail()).join('\n');
const ok = async (url: string) => (await fetch(url).catch(() => undefined))?.status === 200;
const scrapePort = (port: number) => scrape(`http://127.0.0.1:${port}/metrics`);

beforeAll(async () => {
  s = await connectTestServers('overload_metrics');
  const store = createStore(s.db);
  await store.ensureIndexes();
  const report = validatePattern(counterPattern(PATTERN, PATTERN, 'test.ovl'));
  if (!report.valid || !report.pattern) throw new Error(JSON.stringify(report.errors));
  await store.patterns.put(report.pattern, Date.now());
  ports = { gateway: await freePort(), worker: await freePort() };
  // Threds take their settings from the gateway that starts them (the workflow input); the worker serves metrics.
  start('gateway', ['gateway'], {
    THREDS_PORT: String(ports.gateway),
    THREDS_PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
    THREDS_RATE_LIMIT: '1000000',
    THREDS_HISTORY_MAX_EVENTS: '60',
    THREDS_TASK_ITEMS: '2',
    THREDS_THRED_BACKLOG: '15',
  });
  start('worker', ['worker'], { THREDS_METRICS_PORT: String(ports.worker) });
  try {
    await waitFor(() => ok(`http://127.0.0.1:${ports.gateway}/health`), 'the gateway', 60_000);
    await waitFor(() => ok(`http://127.0.0.1:${ports.worker}/metrics`), 'the worker /metrics', 60_000);
  } catch (err) {
    throw new Error(`${String(err)}\n${logs()}`);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop(15_000)));
  await s?.close();
}, 60_000);

describe('overload settings and metrics', () => {
  it('refuses beyond THREDS_THRED_BACKLOG, continues as new by history length, and reports both', async () => {
    const base = `http://127.0.0.1:${ports.gateway}`;
    const token = signAccessToken(JWT_SECRET, {
      participantId: 'ovl_sensor',
      roles: [],
      ttlMs: 3_600_000,
      now: Date.now(),
    }).token;
    const post = async (event: object) => {
      const res = await fetch(`${base}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ source: { id: 'ovl_sensor' }, ...event }),
      });
      return { status: res.status, retryAfter: res.headers.get('retry-after') };
    };
    const res = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'test.ovl', source: { id: 'ovl_sensor' } }),
    });
    expect(res.status, logs()).toBe(202);
    const thredId = ((await res.json()) as { results: { thredIds: string[] }[] }).results[0]!.thredIds[0]!;

    // Bursts until one is refused; sequential rounds afterwards grow the history past 60 events.
    let accepted = 1;
    let refused = 0;
    for (let round = 0; round < 20 && (refused === 0 || accepted < 60); round++) {
      const answers = await Promise.all(Array.from({ length: 40 }, () => post({ type: 'test.ovl', thredId })));
      for (const a of answers) {
        if (a.status === 202) accepted++;
        else {
          expect(a.status).toBe(503);
          expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(0);
    const snap = await waitFor(async () => {
      const s2 = await s.client.workflow.getHandle(thredId).query(stateQuery);
      return s2.state.locals.n === accepted ? s2 : undefined;
    }, 'every acknowledged event applied');
    expect(snap.run).toBeGreaterThanOrEqual(1);

    const gateway = await scrapePort(ports.gateway);
    expect(sample(gateway, 'threds_backpressure_refusals_total', { reason: 'thred_backlog' })).toBe(refused);
    expect(gateway).toMatch(/^# TYPE threds_gateway_thred_backlog gauge/m);
    expect(gateway).toMatch(/^# TYPE threds_gateway_busy_threds gauge/m);

    const worker = await scrapePort(ports.worker);
    expect(
      sample(worker, 'threds_continue_as_new_total', { pattern: PATTERN, reason: 'history_length' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(worker, 'threds_history_length_at_continue_as_new_count', { reason: 'history_length' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(worker, 'threds_history_length_at_continue_as_new_bucket', { reason: 'history_length', le: '100' }),
    ).toBeGreaterThanOrEqual(1); // the bound is 60: a run ends within a task or two of it
    expect(worker).toMatch(/^# TYPE threds_thred_backlog gauge/m);
    // Workflow-task duration is the SDK's own histogram (ms), on the same endpoint.
    expect(worker).toMatch(/^temporal_workflow_task_execution_latency\w*_count(\{[^}]*\})? [1-9]/m);
  }, 90_000);
});
