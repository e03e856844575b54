/**
 * Routing of one event to threds (SPEC §2, §4, §8 ingest, §10): store it first (idempotent by id; one insert that
 * already names the threds it starts, see routing/unbound.ts), then
 *  - bound (routing/bound.ts): signal the thred (404 THRED_DOES_NOT_EXIST when there is none, 409 when it has ended);
 *  - unbound (routing/unbound.ts): test every active pattern's initial reaction (pure), admit under
 *    maxInstances/instanceInterval, and signal-with-start workflow `<patternId>_<eventId>` carrying the pattern
 *    snapshot (routing/start.ts) — so a duplicate event cannot start a second thred; then offer the event to running
 *    threds whose current reaction allows unbound events (routing/offer.ts).
 * Every thred that was handed the event is recorded (store.deliveries) once Temporal accepted it, and a re-send skips
 * those threds: duplicate suppression is exact for the life of a thred, not bounded by its recent-ids window.
 * With a deadline, every Temporal and store call of the event is bounded by it: past it the caller gets 503
 * (UNAVAILABLE) and may retry with the same id.
 */
import type { Client } from '@temporalio/client';
import pino from 'pino';
import type { ThredsEvent } from '../patterns';
import type { Store } from '../store';
import { THREDS_TASK_QUEUE, type EngineSettings } from '../workflows/messages';
import { within } from './within';
import { createRouterMetrics } from './metrics';
import { RouteError } from './errors';
import {
  unavailable,
  type RouteResult,
  type RouterLogger,
  type RoutingContext,
  type StoredPattern,
} from './routing/context';
import { deliveryRecorder } from './routing/deliveries';
import { createBoundRoute } from './routing/bound';
import { createUnboundRoute } from './routing/unbound';

export { RouteError, unavailable };
export type { RouteResult, RouterLogger };

export interface RouteOptions {
  /** ms since epoch by which the event must be routed (every Temporal and store call), else 503. */
  deadline?: number;
}

export interface RouterDeps {
  client: Client;
  store: Store;
  settings: EngineSettings;
  taskQueue?: string;
  /** How long the active-pattern list may be cached (ms); admin writes invalidate it at once on this instance. */
  patternCacheMs?: number;
  now?: () => number;
  logger?: RouterLogger;
}

export function createRouter(deps: RouterDeps) {
  const { client, store, settings } = deps;
  const now = deps.now ?? Date.now;
  const metrics = createRouterMetrics();
  const rc: RoutingContext = {
    client,
    store,
    settings,
    taskQueue: deps.taskQueue ?? THREDS_TASK_QUEUE,
    now,
    log: deps.logger ?? pino({ name: 'router', level: process.env.LOG_LEVEL ?? 'info' }),
    metrics,
  };
  let cache: { at: number; patterns: StoredPattern[] } | undefined;

  async function activePatterns(): Promise<StoredPattern[]> {
    if (!cache || now() - cache.at > (deps.patternCacheMs ?? 1000)) {
      const patterns = (await store.patterns.list()).filter(
        (p): p is StoredPattern => p.meta?.active !== false && typeof p.id === 'string',
      );
      cache = { at: now(), patterns };
    }
    return cache.patterns;
  }

  const recordDeliveries = deliveryRecorder(rc);
  const routeBound = createBoundRoute(rc, recordDeliveries);
  const routeUnbound = createUnboundRoute(rc, { activePatterns, recordDeliveries });

  /** Bounds the whole routing of one event (store calls included) by its deadline. */
  function withinDeadline<T>(work: () => Promise<T>, deadline: number): Promise<T> {
    // Temporal calls inherit the deadline from the client's async context (the batcher sets its own per batch).
    return within(client.withDeadline(deadline, work), deadline - Date.now(), (): never => {
      throw unavailable();
    });
  }

  return {
    /**
     * Stores and routes one event. Throws RouteError for 404/409, and 503 (UNAVAILABLE) past `deadline`; other errors
     * mean a server is unavailable.
     */
    async route(event: ThredsEvent, opts: RouteOptions = {}): Promise<RouteResult> {
      const { deadline } = opts;
      const run = () =>
        event.thredId ? routeBound(event as ThredsEvent & { thredId: string }, deadline) : routeUnbound(event);
      return deadline === undefined ? run() : withinDeadline(run, deadline);
    },
    /** The router's own counters (pattern match errors, offer failures), served by GET /metrics. */
    metrics: metrics.registry,
    invalidatePatterns(): void {
      cache = undefined;
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
