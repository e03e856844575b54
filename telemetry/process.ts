/**
 * Telemetry of a worker or agent process (SPEC §13): Temporal's runtime with its Prometheus exporter on an internal
 * loopback port, and one HTTP server on THREDS_METRICS_PORT (default 9464, `off` disables) whose `/metrics` serves
 * Threds' registry followed by the Temporal SDK's metrics (prefix `temporal_`) fetched from that internal port — one
 * scrape target per process, whatever it hosts. Runtime log lines become pino JSON with `thredId` (the workflowId).
 * Tracing starts here too when the OTLP endpoint is configured.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import { processMetrics } from './metrics';
import { activeTraceId, initTracing, shutdownTracing } from './tracing';

export const DEFAULT_METRICS_PORT = 9464;

export type ProcessRole = 'worker' | 'agents' | 'dev';

/** THREDS_METRICS_PORT: a port (0 = any free one), `off` for no server. */
export function metricsPort(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.THREDS_METRICS_PORT?.trim();
  if (raw === undefined || raw === '') return DEFAULT_METRICS_PORT;
  if (raw === 'off') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`THREDS_METRICS_PORT must be a port number (0–65535) or "off", got "${raw}"`);
  return port;
}

async function freeLoopbackPort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((ok, fail) => srv.once('error', fail).listen(0, '127.0.0.1', ok));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Temporal's log entries as pino lines, with the field names every Threds process uses (`thredId`, `eventId`). */
export function runtimeLogFunction(log: Logger): (entry: LogEntry) => void {
  return ({ level, message, meta }) => {
    const { workflowId, ...rest } = (meta ?? {}) as Record<string, unknown>;
    const traceId = activeTraceId(); // inside an activity's span (telemetry/worker.ts, agent.ts)
    log[PINO_LEVEL[level]](
      { ...rest, ...(typeof workflowId === 'string' && { thredId: workflowId }), ...(traceId && { traceId }) },
      message,
    );
  };
}

interface AnyLogger {
  level: string;
  info(fields: object, msg: string): void;
  child(bindings: object, options: { level: string }): { info(fields: object, msg: string): void };
}

/**
 * An entry point's start-up line (listening, polling): a JSON log line written at any LOG_LEVEL but `silent`,
 * because supervisors, scripts and tests wait for it whatever level the process logs at.
 */
export function announce(log: AnyLogger, fields: object, msg: string): void {
  (log.level === 'silent' ? log : log.child({}, { level: 'info' })).info(fields, msg);
}

export interface ProcessTelemetry {
  /** The metrics server's port, when it runs. */
  port: number | undefined;
  /** The process's JSON logger (LOG_LEVEL), for the entry point's own lines. */
  log: Logger;
  close(): Promise<void>;
}

let processLog: Logger | undefined;

/**
 * The logger of a worker or agent process, once startProcessTelemetry ran; undefined in a process that did not
 * (tests hosting workers in-process), so library code logs per-step lines only where an operator reads them.
 */
export function processLogger(): Logger | undefined {
  return processLog;
}

/**
 * Installs Temporal's runtime (once per process, before any worker or connection) and starts the metrics server.
 * The runtime gets no signal handlers: the entry point decides the shutdown order.
 */
export async function startProcessTelemetry(
  role: ProcessRole,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProcessTelemetry> {
  const log = pino({ name: `threds-${role}`, level: env.LOG_LEVEL || 'info' });
  processLog = log;
  initTracing(role === 'dev' ? 'threds' : `threds-${role}`, env);
  const port = metricsPort(env);
  const corePort = port === undefined ? undefined : await freeLoopbackPort();
  const runtimeLevel: LogLevel = env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace' ? 'INFO' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(runtimeLevel, runtimeLogFunction(log)),
    shutdownSignals: [],
    ...(corePort !== undefined && {
      telemetryOptions: {
        metrics: { metricPrefix: 'temporal_', prometheus: { bindAddress: `127.0.0.1:${corePort}` } },
      },
    }),
  });
  let server: Server | undefined;
  let bound: number | undefined;
  if (port !== undefined) {
    server = metricsServer(corePort);
    bound = await new Promise<number | undefined>((resolve) => {
      server!.once('error', (err: NodeJS.ErrnoException) => {
        // The process still does its work; its health check (a scrape) reports the missing endpoint.
        log.error(
          { err: String(err), port },
          `metrics server not started: THREDS_METRICS_PORT ${port} ${err.code === 'EADDRINUSE' ? 'is in use' : 'failed'}`,
        );
        resolve(undefined);
      });
      server!.listen(port, '0.0.0.0', () => resolve((server!.address() as AddressInfo).port));
    });
    if (bound !== undefined) log.info({ port: bound }, 'metrics at /metrics');
  } else {
    log.info('metrics off (THREDS_METRICS_PORT=off): no /metrics server, no Temporal SDK metrics');
  }
  return {
    port: bound,
    log,
    async close() {
      if (bound !== undefined) await new Promise<void>((ok) => server!.close(() => ok()));
      await shutdownTracing();
    },
  };
}

/** GET /metrics: Threds' registry, then the Temporal SDK's exposition (omitted, with a comment, if unreachable). */
export function metricsServer(corePort: number | undefined): Server {
  const { registry } = processMetrics();
  return createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'not found: GET /metrics' }));
      return;
    }
    void (async () => {
      const own = await registry.metrics();
      let core = '';
      if (corePort !== undefined) {
        try {
          const r = await fetch(`http://127.0.0.1:${corePort}/metrics`, { signal: AbortSignal.timeout(2000) });
          core = await r.text();
        } catch (err) {
          core = `# Temporal SDK metrics unavailable: ${String(err).replace(/\n/g, ' ')}\n`;
        }
      }
      res.writeHead(200, { 'content-type': registry.contentType }).end(`${own}\n${core}`);
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
    });
  });
}
