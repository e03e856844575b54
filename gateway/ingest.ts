/**
 * One ingest path for POST /events and WebSocket `event` frames: validate, complete (id, time, source.id = principal),
 * then store and route through the router. Failures are thrown as registry errors (or RouteError), so each transport
 * renders them in its own envelope (HTTP body, batch result, error frame) from the same shape.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Compile } from 'typebox/compile';
import { normalizeEvent, type ThredsEvent } from '../patterns';
import type { Router, RouteResult } from './routing';
import { EventInSchema, type EventIn } from './schemas';
import { fail, summarize, toErrorBody, validationDetails } from './errors';
import { eventProblem } from './input-limits';
import type { GatewayMetrics } from './metrics';
import type { Backpressure } from './backpressure';
import { traceIdOf, traceOf, withTrace } from '../telemetry/trace-context';
import { SpanKind, endSpan, startSpan, traceparentOf, withSpan } from '../telemetry/tracing';

export interface Principal {
  id: string;
  roles: string[];
  admin: boolean;
}

const checkEvent = Compile(EventInSchema);

/** Ids the gateway assigns: `evt_` + 32 hex digits (inside SPEC §2's charset). */
export const newEventId = (): string => `evt_${randomUUID().replace(/-/g, '')}`;

export function createIngest(opts: {
  router: Router;
  client: Client;
  metrics: GatewayMetrics;
  /** Bounds what waits per thred and per principal, here so that HTTP and WebSocket events are bounded alike. */
  backpressure: Backpressure;
  maxEventBytes: number;
  /** Deadline of the Temporal and store calls one event makes; past it the client gets 503 and may retry by id. */
  routeTimeoutMs: number;
  now: () => number;
  /** One line per routed event with `eventId`, `thredIds`, `traceId` (the fields every process logs). */
  log?: { info(fields: object, msg: string): void };
  /** Control events (SPEC §14) go here instead of to the router (gateway/control). */
  control?: {
    handles(event: ThredsEvent): boolean;
    handle(event: ThredsEvent, principal: Principal): Promise<RouteResult>;
  };
}) {
  const { router, metrics, backpressure } = opts;

  /** Validates one raw event and completes it for `principal`. Throws VALIDATION / PAYLOAD_TOO_LARGE. */
  function prepare(raw: unknown, principal: Principal): ThredsEvent {
    // First: validation and JSON.stringify below recurse, and WebSocket frames skip the HTTP body checks.
    const problem = eventProblem(raw);
    if (problem) throw fail('VALIDATION', summarize('invalid event', [problem]), [problem]);
    if (!checkEvent.Check(raw)) {
      const details = validationDetails([...checkEvent.Errors(raw)]);
      throw fail('VALIDATION', summarize('invalid event', details), details);
    }
    if (Buffer.byteLength(JSON.stringify(raw)) > opts.maxEventBytes) {
      throw fail('PAYLOAD_TOO_LARGE', `event is larger than ${opts.maxEventBytes} bytes`);
    }
    const ev = normalizeEvent(raw as ThredsEvent) as EventIn;
    const { timestamp: _alias, ...rest } = ev;
    return {
      ...rest,
      id: ev.id ?? newEventId(),
      time: ev.time ?? opts.now(),
      // SPEC §2: a participant cannot speak as another — the principal is the source, whatever the body says.
      source: { ...ev.source, id: principal.id },
    };
  }

  /** Pattern matches by pattern: a started thred's id is `<patternId>_<eventId>` (SPEC §10). */
  function countStarts(event: ThredsEvent, result: RouteResult): void {
    const suffix = `_${event.id}`;
    for (const thredId of result.started) {
      metrics.patternMatches.inc({ pattern: thredId.endsWith(suffix) ? thredId.slice(0, -suffix.length) : thredId });
    }
    for (const r of result.refused) metrics.patternRefusals.inc({ pattern: r.patternId, code: String(r.code) });
  }

  return {
    prepare,
    /**
     * Validates, stores and routes one event. `trace.traceparent` (the HTTP header) or else the event's own
     * `trace.traceparent` is the parent of its trace (SPEC §13); the stored event carries the gateway's span.
     */
    async ingest(raw: unknown, principal: Principal, trace: { traceparent?: string } = {}): Promise<RouteResult> {
      metrics.eventsReceived.inc();
      const stop = metrics.routingSeconds.startTimer();
      let span: ReturnType<typeof startSpan>;
      try {
        let event = prepare(raw, principal);
        const parent = traceOf({ trace }) ?? traceOf(event);
        span = startSpan(`ingest ${event.type}`, {
          parent,
          kind: SpanKind.SERVER,
          attributes: { 'threds.event_id': event.id, ...(event.thredId && { 'threds.thred_id': event.thredId }) },
        });
        // Without tracing a caller's traceparent still travels on, so the messages carry its trace id.
        const carried = span ? traceparentOf(span) : parent;
        if (carried) event = withTrace(event, carried);
        if (opts.control?.handles(event)) {
          const handled = await opts.control.handle(event, principal);
          metrics.eventsAccepted.inc();
          endSpan(span);
          return handled;
        }
        // One deadline for every store and Temporal call of the event, the admission's backlog read included: past it
        // 503, and the client retries by id.
        const deadline = Date.now() + opts.routeTimeoutMs;
        // Refused before it is stored: a refused event was never acknowledged, and its re-send is a first send.
        const ticket = await backpressure.admit(event.thredId, principal.id);
        const routed = event;
        let result: RouteResult;
        try {
          result = await withSpan(span, () => router.route(routed, { deadline }));
        } catch (err) {
          ticket.done(false);
          throw err;
        }
        ticket.done(true);
        metrics.eventsAccepted.inc();
        countStarts(routed, result);
        opts.log?.info({ eventId: routed.id, thredIds: result.thredIds, traceId: traceIdOf(routed) }, 'event routed');
        span?.setAttributes({ 'threds.thred_ids': result.thredIds, 'threds.started': result.started });
        endSpan(span);
        return result;
      } catch (err) {
        metrics.eventsRejected.inc({ reason: toErrorBody(err).code });
        endSpan(span, err);
        throw err;
      } finally {
        stop();
      }
    },
  };
}

export type Ingest = ReturnType<typeof createIngest>;
