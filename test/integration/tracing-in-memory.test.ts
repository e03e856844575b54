/**
 * Tracing inside one process with OpenTelemetry's in-memory exporter (the second way, next to the OTLP
 * receiver of telemetry.test.ts): a POST /events with a traceparent → the gateway's ingest span (parent: the caller)
 * → the thred step (its deterministic id; parent: the ingest span) → recordSteps (parent: the step) → the delivery
 * push (parent: recordSteps), and the message on the participant's socket names the step as its parent.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { initTracing, shutdownTracing } from '../../telemetry/tracing';
import { stepSpanId } from '../../telemetry/trace-context';
import { startGatewayEngine, WsClient, type Gateway, type GatewayEngine } from '../helpers/gateway';
import { waitFor } from '../helpers/engine';

const exporter = new InMemorySpanExporter();
const TRACE_ID = randomBytes(16).toString('hex');
const CALLER = randomBytes(8).toString('hex');
const pattern = {
  id: 'mem_trace',
  name: 'mem_trace',
  reactions: [
    {
      name: 'greet',
      condition: {
        type: 'filter',
        xpr: "$event.type = 'mem.trace.start'",
        transform: { eventDataTemplate: { title: 'hello' } },
        publish: { to: 'mem_person' },
      },
    },
    { name: 'wait', condition: { type: 'filter', xpr: "$event.type = 'mem.trace.never'" } },
  ],
};

let g: GatewayEngine;
let gw: Gateway;

beforeAll(async () => {
  expect(initTracing('threds-test', {}, exporter)).toBe(true);
  g = await startGatewayEngine('memtrace', { patterns: [pattern] });
  gw = await g.gateway();
});
afterAll(async () => {
  await g?.close();
  await shutdownTracing();
});

const parentOf = (s: ReadableSpan) =>
  s.parentSpanId ?? (s as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId;

describe('tracing with the in-memory exporter', () => {
  it('links gateway, step, bookkeeping and delivery spans of one event under the caller', async () => {
    const { ws } = await WsClient.connect(gw.url, g.token('mem_person'));
    const res = await fetch(`${gw.url}/events`, {
      method: 'POST',
      headers: {
        ...g.bearer('mem_sensor'),
        'content-type': 'application/json',
        traceparent: `00-${TRACE_ID}-${CALLER}-01`,
      },
      body: JSON.stringify({ type: 'mem.trace.start', source: { id: 'mem_sensor' } }),
    });
    expect(res.status).toBe(202);
    const thredId = ((await res.json()) as { results: { started: string[] }[] }).results[0]!.started[0]!;
    const frame = await ws.next((f) => f.type === 'message', 'the message', 30_000);
    ws.close();
    const traceparent = (frame.message as { event: { trace?: { traceparent?: string } } }).event.trace?.traceparent;

    const trace = await waitFor(async () => {
      const mine = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID);
      const named = (prefix: string) => mine.filter((s) => s.name.startsWith(prefix));
      const [ingest, step, record, deliver] = [
        named('ingest mem.trace.start'),
        named('thred step mem_trace'),
        named('recordSteps'),
        named('deliver'),
      ];
      return ingest.length && step.length && record.length && deliver.length
        ? { ingest: ingest[0]!, step: step[0]!, record, deliver: deliver[0]! }
        : undefined;
    }, 'the spans of the trace');

    expect(parentOf(trace.ingest)).toBe(CALLER);
    expect(parentOf(trace.step)).toBe(trace.ingest.spanContext().spanId);
    const stepNo = Number(trace.step.attributes['threds.step']);
    expect(trace.step.spanContext().spanId).toBe(stepSpanId(thredId, stepNo)); // derived in the workflow, not random
    const record = trace.record.find((r) => parentOf(r) === trace.step.spanContext().spanId);
    expect(record, 'recordSteps is a child of the step').toBeDefined();
    expect(parentOf(trace.deliver)).toBe(record!.spanContext().spanId);
    expect(traceparent).toBe(`00-${TRACE_ID}-${stepSpanId(thredId, stepNo)}-01`);
  }, 60_000);
});
