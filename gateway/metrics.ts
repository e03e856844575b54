/** Prometheus metrics, one registry per app (two gateways in one test process must not share counters). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'threds_gateway_' });
  const registers = [registry];
  return {
    registry,
    eventsReceived: new Counter({ name: 'threds_events_received_total', help: 'Events received (HTTP and WebSocket)', registers }),
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
