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
  maxEventBytes: number;
  /** Deadline of the Temporal and store calls one event makes; past it the client gets 503 and may retry by id. */
  routeTimeoutMs: number;
  now: () => number;
}) {
  const { router, metrics } = opts;

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

  return {
    prepare,
    /** Validates, stores and routes one event. */
    async ingest(raw: unknown, principal: Principal): Promise<RouteResult> {
      metrics.eventsReceived.inc();
      const stop = metrics.routingSeconds.startTimer();
      try {
        const event = prepare(raw, principal);
        // One deadline for every Temporal and store call of the event: past it 503, and the client retries by id.
        const result = await router.route(event, { deadline: Date.now() + opts.routeTimeoutMs });
        metrics.eventsAccepted.inc();
        return result;
      } catch (err) {
        metrics.eventsRejected.inc({ reason: toErrorBody(err).code });
        throw err;
      } finally {
        stop();
      }
    },
  };
}

export type Ingest = ReturnType<typeof createIngest>;
