/** Prometheus metrics, one registry per app (two gateways in one test process must not share counters). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'threds_gateway_' });
  const registers = [registry];
  return {
    registry,
    eventsReceived: new Counter({
      name: 'threds_events_received_total',
      help: 'Events received (HTTP and WebSocket)',
      registers,
    }),
    eventsAccepted: new Counter({ name: 'threds_events_accepted_total', help: 'Events stored and routed', registers }),
    eventsRejected: new Counter({
      name: 'threds_events_rejected_total',
      help: 'Events refused, by error code',
      labelNames: ['reason'] as const,
      registers,
    }),
    routingSeconds: new Histogram({
      name: 'threds_routing_seconds',
      help: 'Time to store and route one event',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    httpRequests: new Counter({
      name: 'threds_http_requests_total',
      help: 'HTTP responses by method, route template (never the raw URL) and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    patternMatches: new Counter({
      name: 'threds_pattern_matches_total',
      help: 'Threds started by unbound events, by pattern',
      labelNames: ['pattern'] as const,
      registers,
    }),
    patternRefusals: new Counter({
      name: 'threds_pattern_refusals_total',
      help: 'Thred starts refused (instance limits, start test errors), by pattern and SPEC §7 code',
      labelNames: ['pattern', 'code'] as const,
      registers,
    }),
    backpressureRefusals: new Counter({
      name: 'threds_backpressure_refusals_total',
      help: 'Events refused before routing, by reason: thred_backlog (503) or principal_in_flight (429)',
      labelNames: ['reason'] as const,
      registers,
    }),
    thredBacklog: new Gauge({
      name: 'threds_gateway_thred_backlog',
      help:
        "This gateway's estimate of busy threds' backlogs (in flight here + the thred's last queue report + signalled " +
        'since), by pattern: sum (stat=sum) and largest (stat=max)',
      labelNames: ['pattern', 'stat'] as const,
      registers,
    }),
    busyThreds: new Gauge({
      name: 'threds_gateway_busy_threds',
      help: 'Threds this gateway watches the backlog of (several events in flight, a high rate, or a queue)',
      registers,
    }),
    sessions: new Gauge({ name: 'threds_ws_sessions', help: 'Live WebSocket sessions on this instance', registers }),
    deliveries: new Counter({ name: 'threds_deliveries_total', help: 'Messages written to a WebSocket', registers }),
    deliveryFailures: new Counter({
      name: 'threds_delivery_failures_total',
      help: 'Messages that could not be written to a WebSocket (they stay in the outbox)',
      registers,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createMetrics>;

/**
 * The router's counters. The router is built before (and shared by) the apps that use it, so it keeps its own
 * registry; GET /metrics serves it beside the app's.
 */
export function createRouterMetrics() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    patternMatchErrors: new Counter({
      name: 'threds_pattern_match_errors_total',
      help: 'Unbound events whose start test of a pattern failed with an expression error (reported to the sender)',
      labelNames: ['pattern'] as const,
      registers,
    }),
    offerFailures: new Counter({
      name: 'threds_offer_failures_total',
      help: 'Offers of unbound events to running threds that failed, by outcome (gone, failed, unavailable, error)',
      labelNames: ['reason'] as const,
      registers,
    }),
    deliveryRecordFailures: new Counter({
      name: 'threds_delivery_record_failures_total',
      help: "Deliveries whose record could not be written (duplicates then fall back to the thred's recent ids)",
      registers,
    }),
  };
}

export type RouterMetrics = ReturnType<typeof createRouterMetrics>;
