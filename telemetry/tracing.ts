/**
 * OpenTelemetry for every Threds process (SPEC §13): spans exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, configured by the standard `OTEL_*` variables; otherwise nothing
 * is registered and every helper here returns before creating a span (no cost).
 *
 * The trace context travels in the events themselves (`event.trace.traceparent`), not only in Temporal headers: one
 * thred takes many events, each its own trace, through one long-running workflow and batched signals, so the event
 * is the only carrier that stays with it through the queue, the step, the agent call and the reply.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  RandomIdGenerator,
  SimpleSpanProcessor,
  type IdGenerator,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
// The client part only: the package root also loads its workflow-sandbox and worker modules.
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import pino from 'pino';
import { formatTraceparent, parseTraceparent } from './trace-context';

export { SpanKind } from '@opentelemetry/api';

/** Span ids chosen by the caller for one span (a thred step's id is derived in the workflow), random otherwise. */
class ChosenIds implements IdGenerator {
  next: string | undefined;
  private readonly random = new RandomIdGenerator();
  generateTraceId(): string {
    return this.random.generateTraceId();
  }
  generateSpanId(): string {
    const id = this.next;
    this.next = undefined;
    return id ?? this.random.generateSpanId();
  }
}

let provider: NodeTracerProvider | undefined;
let ids: ChosenIds | undefined;

/** Whether the environment asks for traces (an OTLP endpoint set, the SDK not disabled). */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export function tracingEnabled(): boolean {
  return provider !== undefined;
}

/**
 * Registers the process's tracer provider once (later calls, e.g. the gateway's inside `threds dev`, keep the
 * first service name). `OTEL_SERVICE_NAME` overrides the name. Returns whether tracing is on.
 */
export function initTracing(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
  exporter?: SpanExporter,
): boolean {
  if (provider) return true;
  if (!exporter && !tracingConfigured(env)) return false;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol && protocol !== 'http/json') {
    // Only the JSON encoding of OTLP/HTTP is installed; collectors accept it on the same port and path.
    pino({ name: 'threds-tracing', level: env.LOG_LEVEL || 'info' }).warn(
      { protocol },
      `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}: exporting OTLP/HTTP with JSON encoding instead`,
    );
  }
  ids = new ChosenIds();
  provider = new NodeTracerProvider({
    resource: new Resource({ 'service.name': env.OTEL_SERVICE_NAME || serviceName }),
    idGenerator: ids,
    // An exporter passed in (tests: in-memory) gets each span as it ends.
    spanProcessors: [
      exporter
        ? new SimpleSpanProcessor(exporter)
        : new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 }),
    ],
  });
  provider.register(); // W3C trace-context propagator and the AsyncLocalStorage context manager
  return true;
}

/** Exports what is buffered and stops (process exit). */
export async function shutdownTracing(): Promise<void> {
  const p = provider;
  provider = undefined;
  await p?.shutdown();
  // Unregister the globals too, so a later provider in the same process can register.
  trace.disable();
  context.disable();
  propagation.disable();
}

export async function flushTracing(): Promise<void> {
  await provider?.forceFlush();
}

/** A context whose parent is the remote span of `traceparent` (the root context for none or an invalid one). */
export function contextFrom(traceparent: string | undefined): Context {
  const p = parseTraceparent(traceparent);
  if (!p) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: p.traceId,
    spanId: p.spanId,
    traceFlags: parseInt(p.flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

export interface SpanOptions {
  /** Parent: a traceparent, or the active context when absent. */
  parent?: string | undefined;
  kind?: SpanKind;
  attributes?: Attributes;
  startTime?: number;
  /** This span's id (16 hex), when the caller has announced it already (thred steps). */
  spanId?: string;
}

/** Starts a span, or returns undefined when tracing is off. */
export function startSpan(name: string, opts: SpanOptions = {}): Span | undefined {
  if (!provider) return undefined;
  const parent = opts.parent !== undefined ? contextFrom(opts.parent) : context.active();
  if (opts.spanId) ids!.next = opts.spanId;
  const span = trace.getTracer('threds').startSpan(
    name,
    {
      kind: opts.kind ?? SpanKind.INTERNAL,
      ...(opts.attributes && { attributes: opts.attributes }),
      ...(opts.startTime !== undefined && { startTime: opts.startTime }),
    },
    parent,
  );
  ids!.next = undefined;
  return span;
}

/** The traceparent naming `span` as parent. */
export function traceparentOf(span: Span): string {
  const c = span.spanContext();
  return formatTraceparent({
    traceId: c.traceId,
    spanId: c.spanId,
    flags: (c.traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, '0'),
  });
}

/** Runs `fn` with `span` active (so spans started inside are its children); plain `fn()` without a span. */
export function withSpan<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

export function endSpan(span: Span | undefined, err?: unknown): void {
  if (!span) return;
  if (err !== undefined) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

/** The trace id of the active span, for log lines (undefined when there is none). */
export function activeTraceId(): string | undefined {
  const c = trace.getSpanContext(context.active());
  return c && trace.isSpanContextValid(c) ? c.traceId : undefined;
}

/**
 * Temporal client interceptors for the gateway's Client: with tracing on, starts and signals become spans (and
 * Temporal headers) under the active ingest span; none otherwise. A signal carrying several batched events is traced
 * under the first of them — each event's own trace continues through its `trace.traceparent` regardless.
 */
export function temporalClientInterceptors(): { workflow?: OpenTelemetryWorkflowClientInterceptor[] } {
  return provider ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : {};
}
