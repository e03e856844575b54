// THREDS_METRICS_PORT and the OTEL_* switches as the real processes read them (issue 12, SPEC §13; README
// "Metrics", "Tracing"): `0` serves /metrics on a free port it logs, `off` serves none and says so, a value that is no
// port stops the start with an error naming the variable, a busy port is logged and the process works on without
// metrics. OTEL_SDK_DISABLED=true keeps tracing off although an OTLP endpoint is set: the gateway creates no ingest
// span (the stored event keeps the caller's traceparent as it came) and nothing reaches the receiver, while the
// caller's trace id still travels on to the messages.
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
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
import { traceOf } from '../../telemetry/trace-context';
import { freePort, jsonOf, startThreds, type ThredsProcess } from '../helpers/threds-process';

const JWT_SECRET = 'procset-' + randomBytes(12).toString('hex');
const suffix = randomBytes(3).toString('hex');
const AGENT = `test.set.echo.${suffix}`;
const PATTERN = `set_flow_${suffix}`;
const SENSOR = `set_sensor_${suffix}`;

let s: TestServers;
let store: Store;
let configDir: string;
let receiver: Server;
const received: string[] = [];
const started: ThredsProcess[] = [];

const env = (extra: Record<string, string | undefined> = {}) => ({
  MONGO_DB: s.dbName,
  THREDS_JWT_SECRET: JWT_SECRET,
  THREDS_CONFIG_DIR: configDir,
  THREDS_TASK_QUEUE: s.taskQueue,
  LOG_LEVEL: 'info',
  OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
  OTEL_SDK_DISABLED: undefined,
  ...extra,
});
const start = (name: string, args: string[], extra: Record<string, string | undefined>) => {
  const p = startThreds(name, args, env(extra));
  started.push(p);
  return p;
};
const polling = (p: ThredsProcess) => p.waitForLine((t) => t.includes('polling on'), `${p.name} polling`, 90_000);
const msgs = (p: ThredsProcess) => p.lines.map((l) => jsonOf(l.text)).filter((o) => o !== undefined);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  s = await connectTestServers('procset');
  store = createStore(s.db);
  await store.ensureIndexes();
  const report = validatePattern({
    id: PATTERN,
    name: PATTERN,
    reactions: [
      {
        name: 'tell',
        condition: {
          type: 'filter',
          xpr: "$event.type = 'test.set.start'",
          transform: { eventDataTemplate: { title: 'told' } },
          publish: { to: SENSOR },
        },
      },
      { name: 'wait', condition: { type: 'filter', xpr: "$event.type = 'test.set.never'" } },
    ],
  });
  if (!report.valid || !report.pattern) throw new Error(JSON.stringify(report.errors));
  await store.patterns.put(report.pattern, Date.now());
  configDir = mkdtempSync(join(tmpdir(), 'threds-set-'));
  writeFileSync(join(configDir, 'echo.mjs'), 'export default { async handleMessage() { return null; } };\n');
  writeFileSync(
    join(configDir, 'agents.json'),
    JSON.stringify([{ nodeType: AGENT, nodeIds: [`${AGENT}.1`], implementation: './echo.mjs' }]),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await new Promise<void>((ok) => receiver?.close(() => ok()));
  await s?.close();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
}, 60_000);

describe('THREDS_METRICS_PORT', () => {
  it('0 serves /metrics on a free port, named in the log line', async () => {
    const p = start('agent-port0', ['agent'], {
      THREDS_METRICS_PORT: '0',
      // A protocol other than JSON is warned about (as a JSON line) and JSON is sent.
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    const line = jsonOf(await p.waitForLine((t) => t.includes('metrics at /metrics'), 'the metrics line'))!;
    const port = Number(line.port);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(9464);
    await polling(p);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^# HELP threds_agent_calls_total /m);
    expect(text).toMatch(/^temporal_worker_start/m);
    const other = await fetch(`http://127.0.0.1:${port}/nothing`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: 'not found: GET /metrics' });
    expect(msgs(p)).toContainEqual(
      expect.objectContaining({
        level: 40,
        protocol: 'grpc',
        msg: 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc: exporting OTLP/HTTP with JSON encoding instead',
      }),
    );
  }, 120_000);

  it('off serves no metrics and says so', async () => {
    const p = start('agent-off', ['agent'], { THREDS_METRICS_PORT: 'off' });
    await p.waitForLine((t) => t.includes('metrics off'), 'the metrics-off line');
    await polling(p);
    expect(p.lines.filter((l) => l.text.includes('metrics at /metrics'))).toEqual([]);
  }, 120_000);

  it('a value that is no port stops the start with an error naming the variable', async () => {
    const values = ['abc', '70000', '-1', '1.5'];
    // Started together: each is a whole `threds agent` start-up until the check.
    const runs = values.map((value) => ({
      value,
      p: start(`agent-${value}`, ['agent'], { THREDS_METRICS_PORT: value }),
    }));
    for (const { value, p } of runs) {
      expect(await p.exited, p.tail()).toBe(1);
      expect(p.lines.map((l) => l.text)).toContain(
        `THREDS_METRICS_PORT must be a port number (0–65535) or "off", got "${value}"`,
      );
    }
  }, 120_000);

  it('a busy port is logged, and the process works on without metrics', async () => {
    const busy: NetServer = createNetServer();
    const port = await freePort();
    await new Promise<void>((ok) => busy.listen(port, '0.0.0.0', ok));
    try {
      const p = start('agent-busy', ['agent'], { THREDS_METRICS_PORT: String(port) });
      const line = jsonOf(
        await p.waitForLine((t) => t.includes('metrics server not started'), 'the metrics-not-started line'),
      )!;
      expect(line).toMatchObject({
        level: 50,
        port,
        msg: `metrics server not started: THREDS_METRICS_PORT ${port} is in use`,
      });
      await polling(p);
      expect(p.child.exitCode).toBeNull();
    } finally {
      await new Promise<void>((ok) => busy.close(() => ok()));
    }
  }, 120_000);
});

describe('OTEL_SDK_DISABLED', () => {
  it('keeps tracing off although an OTLP endpoint is set; the caller trace id still reaches the message', async () => {
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_SDK_DISABLED: 'true',
    };
    const gatewayPort = await freePort();
    const base = `http://127.0.0.1:${gatewayPort}`;
    const gateway = start('gateway', ['gateway'], {
      ...otel,
      THREDS_PORT: String(gatewayPort),
      THREDS_PUBLIC_URL: base,
    });
    const worker = start('worker', ['worker'], { ...otel, THREDS_METRICS_PORT: 'off' });
    await gateway.waitForLine((t) => t.includes('gateway listening on'), 'the gateway', 90_000);
    await worker.waitForLine((t) => t.includes('worker polling'), 'the worker', 90_000);

    const token = signAccessToken(JWT_SECRET, {
      participantId: SENSOR,
      roles: [],
      ttlMs: 3_600_000,
      now: Date.now(),
    }).token;
    const { ws } = await WsClient.connect(base, token);
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const res = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', traceparent },
      body: JSON.stringify({ type: 'test.set.start', source: { id: SENSOR } }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const { eventId } = ((await res.json()) as { results: { eventId: string }[] }).results[0]!;
    const frame = await ws.next((f) => f.type === 'message', 'the message', 30_000);
    ws.close();
    const message = frame.message as { event: { trace?: { traceparent?: string } } };
    expect(message.event.trace?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    // With tracing on, the gateway stores its ingest span as the event's parent; off, the caller's stays.
    const stored = await waitFor(() => store.events.get(eventId), 'the stored event');
    expect(traceOf(stored.event)).toBe(traceparent);

    // A process flushes its span exporter on exit: after both have exited, anything they exported has arrived.
    expect(await gateway.stop()).toBe(0);
    expect(await worker.stop()).toBe(0);
    expect(received).toEqual([]);
  }, 150_000);
});
