// Logs and counters of the real processes (issue 12, SPEC §13): `threds gateway`, `threds worker` and `threds agent`
// as child processes at LOG_LEVEL info. Every line any of them writes is JSON; the lines about one thred name it in
// the field `thredId`, and the lines about one event carry `eventId` and the `traceId` of the traceparent it was
// posted with, whatever the process — so one jq filter follows an event across all of them. The gateway's /metrics
// counters move with the requests it serves, and the agent process counts an agent call whose retries ran out by its
// final outcome, `failed`, not as one more `retry`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../store';
import { validatePattern } from '../../patterns';
import { signAccessToken } from '../../gateway/tokens';
import { connectTestServers, type TestServers } from '../helpers/servers';
import { waitFor } from '../helpers/engine';
import { WsClient } from '../helpers/gateway';
import { freePort, jsonOf, startThreds, type ThredsProcess } from '../helpers/threds-process';
import { sample, scrape } from '../helpers/prometheus';

const JWT_SECRET = 'proclogs-' + randomBytes(12).toString('hex');
const suffix = randomBytes(3).toString('hex');
const ECHO = `test.logs.echo.${suffix}`;
const FLAKY = `test.logs.flaky.${suffix}`;
const FLOW = `logs_flow_${suffix}`;
const FAILING = `logs_fail_${suffix}`;
const SENSOR = `logs_sensor_${suffix}`;

let s: TestServers;
let store: Store;
let configDir: string;
let ports: { gateway: number; agents: number };
let gateway: ThredsProcess;
let worker: ThredsProcess;
let agents: ThredsProcess;
const all = () => [gateway, worker, agents].filter(Boolean);
const logs = () =>
  all()
    .map((p) => p.tail(60))
    .join('\n');

const base = () => `http://127.0.0.1:${ports.gateway}`;
const token = () =>
  signAccessToken(JWT_SECRET, { participantId: SENSOR, roles: [], ttlMs: 3_600_000, now: Date.now() }).token;

async function post(event: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${base()}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(event),
  });
  const body = await res.text();
  expect(res.status, body).toBe(202);
  return JSON.parse(body) as { results: { eventId: string; thredIds: string[]; started: string[] }[] };
}

beforeAll(async () => {
  s = await connectTestServers('proclogs');
  store = createStore(s.db);
  await store.ensureIndexes();
  const patterns = [
    {
      id: FLOW,
      name: FLOW,
      reactions: [
        {
          name: 'ask',
          condition: {
            type: 'filter',
            xpr: "$event.type = 'test.logs.start'",
            transform: { eventDataTemplate: { title: 'ask' } },
            publish: { to: ECHO, name: 'ask' },
          },
        },
        {
          name: 'answer',
          condition: {
            type: 'filter',
            xpr: "$isResponseFor('ask')",
            transform: { eventDataTemplate: { title: 'answered' } },
            publish: { to: SENSOR },
          },
        },
        { name: 'wait', condition: { type: 'filter', xpr: "$event.type = 'test.logs.never'" } },
      ],
    },
    {
      id: FAILING,
      name: FAILING,
      reactions: [
        {
          name: 'call',
          condition: {
            type: 'filter',
            xpr: "$event.type = 'test.logs.fail'",
            transform: { eventDataTemplate: { title: 'try' } },
            publish: { to: FLAKY, name: 'try' },
          },
        },
        { name: 'after', condition: { type: 'filter', xpr: "$event.type = 'test.logs.never'" } },
      ],
    },
  ];
  for (const p of patterns) {
    const report = validatePattern(p);
    if (!report.valid || !report.pattern) throw new Error(JSON.stringify(report.errors));
    await store.patterns.put(report.pattern, Date.now());
  }

  configDir = mkdtempSync(join(tmpdir(), 'threds-logs-'));
  // The echo agent logs through the context's logger, as agent implementations are meant to.
  writeFileSync(
    join(configDir, 'echo.mjs'),
    'export default { async handleMessage(m, ctx) { ctx.logger.info("echoing"); return { data: { title: "echo" } }; } };\n',
  );
  writeFileSync(
    join(configDir, 'flaky.mjs'),
    'export default { async handleMessage() { throw new Error("the service is down"); } };\n',
  );
  writeFileSync(
    join(configDir, 'agents.json'),
    JSON.stringify([
      { nodeType: ECHO, nodeIds: [`${ECHO}.1`], implementation: './echo.mjs' },
      {
        nodeType: FLAKY,
        nodeIds: [`${FLAKY}.1`],
        implementation: './flaky.mjs',
        retry: { maximumAttempts: 2, initialInterval: '100ms' },
      },
    ]),
  );
  ports = { gateway: await freePort(), agents: await freePort() };
  const env = {
    MONGO_DB: s.dbName,
    THREDS_JWT_SECRET: JWT_SECRET,
    THREDS_CONFIG_DIR: configDir,
    THREDS_TASK_QUEUE: s.taskQueue,
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
  };
  gateway = startThreds('gateway', ['gateway'], {
    ...env,
    THREDS_PORT: String(ports.gateway),
    THREDS_PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
  });
  worker = startThreds('worker', ['worker'], { ...env, THREDS_METRICS_PORT: 'off' });
  agents = startThreds('agents', ['agent'], { ...env, THREDS_METRICS_PORT: String(ports.agents) });
  try {
    await waitFor(async () => (await fetch(`${base()}/health`).catch(() => undefined))?.ok, 'the gateway', 90_000);
    await worker.waitForLine((t) => t.includes('worker polling'), 'the worker polling', 90_000);
    await agents.waitForLine((t) => t.includes('polling on'), 'the agents polling', 90_000);
  } catch (err) {
    throw new Error(`${String(err)}\n${logs()}`);
  }
}, 150_000);

afterAll(async () => {
  await Promise.all(all().map((p) => p.stop()));
  await s?.close();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
}, 60_000);

describe('process logs and counters', () => {
  let thredId: string;
  let eventId: string;
  const traceId = randomBytes(16).toString('hex');

  it("moves the gateway's /metrics counters with the requests it serves", async () => {
    const before = await scrape(`${base()}/metrics`);
    const { ws } = await WsClient.connect(base(), token());
    eventId = `logs-${randomBytes(4).toString('hex')}`;
    const body = await post(
      { id: eventId, type: 'test.logs.start', source: { id: SENSOR } },
      { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    );
    thredId = body.results[0]!.started[0]!;
    expect(thredId).toMatch(new RegExp(`^${FLOW}_`));
    await ws.next((f) => f.type === 'message', 'the answer', 30_000);
    ws.close();

    const after = await waitFor(async () => {
      const text = await scrape(`${base()}/metrics`);
      return (sample(text, 'threds_deliveries_total') ?? 0) > (sample(before, 'threds_deliveries_total') ?? 0)
        ? text
        : undefined;
    }, "the gateway's delivery counter");
    const moved = (name: string, labels: Record<string, string> = {}) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(moved('threds_events_received_total')).toBe(1);
    expect(moved('threds_events_accepted_total')).toBe(1);
    expect(moved('threds_pattern_matches_total', { pattern: FLOW })).toBe(1);
    expect(moved('threds_http_requests_total', { method: 'POST', route: '/events', status: '202' })).toBe(1);
    expect(moved('threds_routing_seconds_count')).toBe(1);
    // The scrape before this one is counted too: the route label is the template, never the raw URL.
    expect(moved('threds_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBeGreaterThan(0);
    expect(sample(after, 'threds_ws_sessions')).toBeGreaterThanOrEqual(0);
    expect(after).toMatch(/^threds_gateway_process_cpu_user_seconds_total /m);

    // A refused event counts as rejected, by its error code.
    const res = await fetch(`${base()}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'test.logs.start', thredId: 'no_such_thred_x', source: { id: SENSOR } }),
    });
    expect(res.status, await res.text()).toBe(404);
    const refused = await scrape(`${base()}/metrics`);
    const rejected = (t: string) =>
      t
        .split('\n')
        .filter((l) => l.startsWith('threds_events_rejected_total{'))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect(rejected(refused)).toBe(rejected(after) + 1);
    expect(
      (sample(refused, 'threds_http_requests_total', { method: 'POST', route: '/events', status: '404' }) ?? 0) -
        (sample(after, 'threds_http_requests_total', { method: 'POST', route: '/events', status: '404' }) ?? 0),
    ).toBe(1);
  }, 90_000);

  it('counts an agent call whose retries ran out as failed in the agent process', async () => {
    const body = await post({ type: 'test.logs.fail', source: { id: SENSOR } });
    const failing = body.results[0]!.started[0]!;
    // The worker dead-letters the call once Temporal gave up on it: then every attempt has been counted.
    await waitFor(
      async () => (await store.deadLetters.list(100)).some((d) => d.thredId === failing),
      'the dead letter',
      60_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${logs()}`);
    });
    const text = await scrape(`http://127.0.0.1:${ports.agents}/metrics`);
    expect(sample(text, 'threds_agent_calls_total', { node_type: FLAKY, outcome: 'retry' })).toBe(1);
    expect(sample(text, 'threds_agent_calls_total', { node_type: FLAKY, outcome: 'failed' })).toBe(1);
    expect(sample(text, 'threds_agent_call_seconds_count', { node_type: FLAKY })).toBe(2);
  }, 90_000);

  it('writes only JSON lines, naming the thred `thredId` and the event `eventId` and `traceId` everywhere', async () => {
    // The processes flush their last lines about the flow as they stop.
    await Promise.all(all().map((p) => p.stop()));
    const problems: string[] = [];
    const parsed = all().map((p) => ({
      name: p.name,
      lines: p.lines.map((l) => {
        const o = jsonOf(l.text);
        if (!o) problems.push(`${p.name} ${l.stream}: not JSON: ${l.text}`);
        return { text: l.text, o };
      }),
    }));
    for (const { name, lines } of parsed) {
      for (const { text, o } of lines) {
        if (!o) continue;
        for (const wrong of ['thred_id', 'thredID', 'event_id', 'trace_id', 'traceID'])
          if (wrong in o) problems.push(`${name}: field ${wrong}: ${text}`);
        // A line about the thred names it in `thredId` (a Temporal line's `workflowId` is the same thred).
        if (text.includes(thredId) && o.thredId !== thredId) problems.push(`${name}: thred without thredId: ${text}`);
        if (o.eventId === eventId && o.traceId !== traceId) problems.push(`${name}: event without traceId: ${text}`);
      }
    }
    if (process.env.THREDS_TEST_LOG_DUMP)
      writeFileSync(
        process.env.THREDS_TEST_LOG_DUMP,
        all()
          .flatMap((p) => p.lines.map((l) => l.text))
          .join('\n') + `\n# thredId=${thredId} eventId=${eventId} traceId=${traceId}\n`,
      );
    expect(problems, logs()).toEqual([]);
    // Each process wrote about the event: the gateway routed it, the worker stepped on it, the agent answered it.
    const about = (name: string) =>
      parsed.find((p) => p.name === name)!.lines.filter(({ o }) => o?.thredId === thredId || o?.eventId === eventId);
    for (const name of ['gateway', 'worker', 'agents'])
      expect(about(name).length, `${name} lines about the event\n${logs()}`).toBeGreaterThan(0);
    expect(about('agents').some(({ o }) => o?.eventId !== undefined && o.traceId === traceId)).toBe(true);
    expect(about('gateway').some(({ o }) => o?.eventId === eventId && o.traceId === traceId)).toBe(true);
  }, 60_000);
});
