// Observability (issue 12, SPEC §13) through the real entry points: `threds gateway`, `threds worker` and
// `threds agent` as child processes, exporting spans to an OTLP/HTTP receiver in this test (JSON protocol) and
// serving /metrics. One event posted with a W3C traceparent must yield one trace — gateway → workflow step →
// activity → agent → next step → delivery — with correct parents, and the messages it causes carry its trace id.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../bin/stack';
import { createStore } from '../../store';
import { validatePattern } from '../../patterns';
import { signAccessToken } from '../../gateway/tokens';
import { connectTestServers, type TestServers } from '../helpers/servers';
import { waitFor } from '../helpers/engine';
import { WsClient } from '../helpers/gateway';
import { sample, scrape } from '../helpers/prometheus';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  attributes: Record<string, unknown>;
}

const JWT_SECRET = 'telemetry-' + randomBytes(12).toString('hex');
const suffix = randomBytes(3).toString('hex');
const AGENT = `test.obs.echo.${suffix}`;
const PATTERN = `obs_flow_${suffix}`;
const SENSOR = `obs_sensor_${suffix}`;
const TRACE_ID = randomBytes(16).toString('hex');
const CALLER_SPAN = randomBytes(8).toString('hex');

const spans: OtlpSpan[] = [];
const children: { name: string; child: ChildProcess; output: string[] }[] = [];
let receiver: Server;
let s: TestServers;
let configDir: string;
let ports: { gateway: number; worker: number; agents: number };

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

/** OTLP/HTTP JSON: resourceSpans[].scopeSpans[].spans[], ids as hex strings. */
function collect(body: unknown): void {
  type Attr = { key: string; value: Record<string, unknown> };
  const value = (v: Record<string, unknown>) => Object.values(v)[0];
  for (const rs of (body as { resourceSpans?: unknown[] }).resourceSpans ?? []) {
    const r = rs as { resource?: { attributes?: Attr[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] };
    const service = String(value(r.resource?.attributes?.find((a) => a.key === 'service.name')?.value ?? {}) ?? '');
    for (const ss of r.scopeSpans ?? []) {
      for (const sp of ss.spans ?? []) {
        spans.push({
          traceId: String(sp.traceId),
          spanId: String(sp.spanId),
          ...(sp.parentSpanId ? { parentSpanId: String(sp.parentSpanId) } : {}),
          name: String(sp.name),
          service,
          attributes: Object.fromEntries(((sp.attributes as Attr[]) ?? []).map((a) => [a.key, value(a.value)])),
        });
      }
    }
  }
}

function start(name: string, args: string[], env: Record<string, string>): void {
  const output: string[] = [];
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'threds.mjs'), ...args], {
    cwd: projectRoot,
    env: {
      ...process.env,
      MONGO_DB: s.dbName,
      THREDS_JWT_SECRET: JWT_SECRET,
      THREDS_CONFIG_DIR: configDir,
      THREDS_TASK_QUEUE: s.taskQueue,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  children.push({ name, child, output });
}

const logs = () => children.map((c) => `--- ${c.name} ---\n${c.output.join('').slice(-2000)}`).join('\n');
const ok = async (url: string) => (await fetch(url).catch(() => undefined))?.status === 200;
const scrapePort = (port: number) => scrape(`http://127.0.0.1:${port}/metrics`);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') collect(JSON.parse(Buffer.concat(chunks).toString()));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  s = await connectTestServers('telemetry');
  const store = createStore(s.db);
  await store.ensureIndexes();
  const report = validatePattern({
    id: PATTERN,
    name: PATTERN,
    reactions: [
      {
        name: 'ask',
        condition: {
          type: 'filter',
          xpr: "$event.type = 'test.obs.start'",
          transform: { eventDataTemplate: { title: 'ask' } },
          publish: { to: AGENT, name: 'ask' },
        },
      },
      {
        name: 'answer',
        condition: {
          type: 'filter',
          xpr: "$isResponseFor('ask')",
          transform: { eventDataTemplate: { title: 'answered', content: { values: { said: '$xpr($values.said)' } } } },
          publish: { to: SENSOR },
        },
      },
      { name: 'wait', condition: { type: 'filter', xpr: "$event.type = 'test.obs.never'" } },
    ],
  });
  if (!report.valid || !report.pattern) throw new Error(JSON.stringify(report.errors));
  await store.patterns.put(report.pattern, Date.now());

  configDir = mkdtempSync(join(tmpdir(), 'threds-obs-'));
  writeFileSync(
    join(configDir, 'echo.mjs'),
    'export default { async handleMessage() { return { data: { content: { values: { said: "echo" } } } }; } };\n',
  );
  writeFileSync(
    join(configDir, 'agents.json'),
    JSON.stringify([{ nodeType: AGENT, nodeIds: [`${AGENT}.1`], implementation: './echo.mjs' }]),
  );
  ports = { gateway: await freePort(), worker: await freePort(), agents: await freePort() };
  start('gateway', ['gateway'], {
    THREDS_PORT: String(ports.gateway),
    THREDS_PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
  });
  start('worker', ['worker'], { THREDS_METRICS_PORT: String(ports.worker) });
  start('agents', ['agent'], { THREDS_METRICS_PORT: String(ports.agents) });
  try {
    await waitFor(() => ok(`http://127.0.0.1:${ports.gateway}/health`), 'the gateway', 60_000);
    await waitFor(() => ok(`http://127.0.0.1:${ports.worker}/metrics`), 'the worker /metrics', 60_000);
    await waitFor(() => ok(`http://127.0.0.1:${ports.agents}/metrics`), 'the agents /metrics', 60_000);
  } catch (err) {
    throw new Error(`${String(err)}\n${logs()}`);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise<void>((ok) => {
          if (child.exitCode !== null) return ok();
          child.once('exit', () => ok());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  await new Promise<void>((ok) => receiver?.close(() => ok()));
  await s?.close();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
}, 60_000);

describe('observability', () => {
  let thredId: string;

  it('follows one event from the gateway through the workflow, the agent and the delivery in one trace', async () => {
    const base = `http://127.0.0.1:${ports.gateway}`;
    const token = signAccessToken(JWT_SECRET, {
      participantId: SENSOR,
      roles: [],
      ttlMs: 3_600_000,
      now: Date.now(),
    }).token;
    const { ws } = await WsClient.connect(base, token);
    const res = await fetch(`${base}/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
      },
      body: JSON.stringify({ type: 'test.obs.start', source: { id: SENSOR } }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const body = (await res.json()) as { results: { started: string[] }[] };
    thredId = body.results[0]!.started[0]!;
    expect(thredId).toMatch(new RegExp(`^${PATTERN}_`));

    const frame = await ws.next((f) => f.type === 'message', 'the answer', 30_000);
    const event = (frame.message as { event: { data?: { title?: string }; trace?: { traceparent?: string } } }).event;
    expect(event.data?.title).toBe('answered');
    expect(event.trace?.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    ws.close();

    const byName = (prefix: string, service: string) =>
      spans.filter((x) => x.traceId === TRACE_ID && x.name.startsWith(prefix) && x.service === service);
    // The worker exports the delivery span once its batch processor flushes (0.5 s).
    const trace = await waitFor(
      async () => {
        const gateway = byName('ingest test.obs.start', 'threds-gateway');
        const steps = byName(`thred step ${PATTERN}`, 'threds-worker');
        const records = byName('recordSteps', 'threds-worker');
        const agent = byName(`agent ${AGENT}`, 'threds-agents');
        const deliver = byName('deliver', 'threds-worker');
        return gateway.length === 1 &&
          steps.length >= 2 &&
          records.length >= 2 &&
          agent.length === 1 &&
          deliver.length >= 1
          ? { gateway: gateway[0]!, steps, records, agent: agent[0]!, deliver: deliver[0]! }
          : undefined;
      },
      `the trace's spans (got ${JSON.stringify(spans.map((x) => [x.service, x.name, x.traceId === TRACE_ID]))})`,
      30_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${logs()}`);
    });

    expect(trace.gateway.parentSpanId).toBe(CALLER_SPAN);
    // The gateway's Temporal client call (Temporal's client interceptor) is a child of its ingest span.
    const temporalCall = await waitFor(
      async () =>
        spans.find(
          (x) =>
            x.service === 'threds-gateway' &&
            x.parentSpanId === trace.gateway.spanId &&
            /^(SignalWith)?Start|^Signal/.test(x.name),
        ),
      `the gateway's Temporal call span (got ${JSON.stringify(spans.filter((x) => x.traceId === TRACE_ID).map((x) => [x.service, x.name]))})`,
    );
    expect(temporalCall.traceId).toBe(TRACE_ID);
    const ask = trace.steps.find((x) => x.parentSpanId === trace.gateway.spanId);
    expect(ask, 'the step taking the event is a child of the gateway span').toBeDefined();
    expect(ask!.attributes['threds.thred_id']).toBe(thredId);
    expect(trace.records.some((x) => x.parentSpanId === ask!.spanId)).toBe(true);
    expect(trace.agent.parentSpanId, 'the agent call is a child of the step that asked').toBe(ask!.spanId);
    const answer = trace.steps.find((x) => x.parentSpanId === trace.agent.spanId);
    expect(answer, 'the reply step is a child of the agent span').toBeDefined();
    const answerRecord = trace.records.find((x) => x.parentSpanId === answer!.spanId);
    expect(answerRecord).toBeDefined();
    expect(trace.deliver.parentSpanId, "the delivery is a child of the reply step's bookkeeping").toBe(
      answerRecord!.spanId,
    );
    // The message's traceparent names the reply step as its parent.
    expect(event.trace!.traceparent!.split('-')[2]).toBe(answer!.spanId);
  }, 90_000);

  it('serves the SPEC §13 metrics with values on the worker and the agent process', async () => {
    // A sensor-reported error gives the thred a step error (SPEC §7 code 5200).
    const token = signAccessToken(JWT_SECRET, {
      participantId: SENSOR,
      roles: [],
      ttlMs: 3_600_000,
      now: Date.now(),
    }).token;
    const res = await fetch(`http://127.0.0.1:${ports.gateway}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'test.obs.report',
        thredId,
        source: { id: SENSOR },
        data: { content: { error: { code: 5200, message: 'sensor broke' } } },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(202);

    const pattern = { pattern: PATTERN };
    const worker = await waitFor(
      async () => {
        const text = await scrapePort(ports.worker);
        return (sample(text, 'threds_step_errors_total', { ...pattern, code: '5200' }) ?? 0) > 0 &&
          (sample(text, 'threds_threds_active', pattern) ?? 0) > 0
          ? text
          : undefined;
      },
      'step errors and active threds on the worker',
      20_000,
    );
    expect(sample(worker, 'threds_events_handled_total', pattern)).toBeGreaterThanOrEqual(3);
    expect(sample(worker, 'threds_transitions_total', { ...pattern, from: 'ask', to: 'answer' })).toBe(1);
    expect(sample(worker, 'threds_transitions_total', { ...pattern, from: '', to: 'ask' })).toBe(1);
    expect(sample(worker, 'threds_agent_calls_total', { node_type: AGENT, outcome: 'reply' })).toBe(1);
    expect(sample(worker, 'threds_threds_active', pattern)).toBe(1);
    expect(sample(worker, 'threds_step_seconds_count', pattern)).toBeGreaterThanOrEqual(3);
    expect(sample(worker, 'threds_queue_depth_count', pattern)).toBeGreaterThanOrEqual(3);
    // Temporal's SDK metrics of the same process, on the same endpoint.
    expect(worker).toMatch(
      /^temporal_workflow_completed|^temporal_workflow_task_execution_latency|^temporal_num_pollers/m,
    );
    expect(sample(worker, 'temporal_worker_start')).toBeGreaterThan(0);

    const agents = await scrapePort(ports.agents);
    expect(sample(agents, 'threds_agent_calls_total', { node_type: AGENT, outcome: 'ok' })).toBe(1);
    expect(sample(agents, 'threds_agent_call_seconds_count', { node_type: AGENT })).toBe(1);
    expect(sample(agents, 'temporal_worker_start')).toBeGreaterThan(0);
    expect(agents).toMatch(/^temporal_activity_execution_latency/m);

    // The SDK metrics the dashboards and alerts query are served (failure counters appear with the first failure).
    const queried = [
      ...readFileSync(join(projectRoot, 'deploy', 'grafana', 'dashboards', 'threds.json'), 'utf8').matchAll(
        /temporal_[a-z0-9_]+/g,
      ),
      ...readFileSync(join(projectRoot, 'deploy', 'prometheus', 'rules', 'threds.yml'), 'utf8').matchAll(
        /temporal_[a-z0-9_]+/g,
      ),
    ].map((m) => m[0]);
    for (const name of new Set(queried.filter((n) => !n.endsWith('_failed')))) {
      expect(`${worker}\n${agents}`, name).toMatch(new RegExp(`^${name}(_bucket|_sum|_count)?[{ ]`, 'm'));
    }
  }, 60_000);

  it('takes the parent of a WebSocket event from event.trace.traceparent', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parent = randomBytes(8).toString('hex');
    const base = `http://127.0.0.1:${ports.gateway}`;
    const token = signAccessToken(JWT_SECRET, {
      participantId: SENSOR,
      roles: [],
      ttlMs: 3_600_000,
      now: Date.now(),
    }).token;
    const { ws } = await WsClient.connect(base, token);
    ws.send({
      type: 'event',
      event: { type: 'test.obs.start', source: { id: SENSOR }, trace: { traceparent: `00-${traceId}-${parent}-01` } },
    });
    const frame = await ws.next((f) => f.type === 'message', 'the answer', 30_000);
    expect((frame.message as { event: { trace?: { traceparent?: string } } }).event.trace?.traceparent).toMatch(
      new RegExp(`^00-${traceId}-`),
    );
    ws.close();
    const gateway = await waitFor(
      async () =>
        spans.find((x) => x.traceId === traceId && x.service === 'threds-gateway' && x.name.startsWith('ingest ')),
      'the gateway span of the WebSocket event',
    );
    expect(gateway.parentSpanId).toBe(parent);
  }, 60_000);
});
