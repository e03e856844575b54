/** What the gateway is built from (`buildApp(deps)`) and what its plugins share. */
import type { Client } from '@temporalio/client';
import type { FastifyServerOptions } from 'fastify';
import type { Store } from '../store';
import type { Directory } from '../store/directory';
import type { EngineSettings } from '../workflows/messages';
import type { Router } from './routing';
import type { Ingest } from './ingest';
import type { GatewayMetrics } from './metrics';
import type { BackpressureLimits } from './backpressure';
import type { SessionHub } from './session-hub';

export interface GatewayLimits {
  /** Max encoded size of an HTTP body and of one event (SPEC §2: 256 KiB). */
  bodyBytes: number;
  /** Max size of one WebSocket frame (an event frame carries the envelope too). */
  frameBytes: number;
  /** Requests per minute per authenticated principal on POST /events (and /login per client address). */
  ratePerMinute: number;
  /** Live WebSocket sessions one participant may hold on this instance; the oldest is closed beyond it. */
  sessionsPerParticipant: number;
  /** Events per batch request. */
  batchSize: number;
  /** WebSocket ping interval; a socket that misses one pong is dropped. */
  heartbeatMs: number;
  /** Time allowed for the hello frame. */
  helloTimeoutMs: number;
  /** Deadline of the Temporal calls routing one event makes (then 503). */
  routeTimeoutMs: number;
  /** A watchThreds subscription lapses this long after its start or last renew (SPEC §14: 60 s). */
  watchTtlMs: number;
  /** How often a gateway holding a watcher's session looks for changed threds. */
  watchPollMs: number;
  /** Threds one gateway-run batch (transition, reset) may select; a larger selection is refused (400). */
  batchMaxTargets: number;
  /** Stored events and log records one what-if replay reads at most (a longer thred is replayed up to them). */
  replayEvents: number;
  replayLog: number;
  /** Backpressure bounds; unset fields come from the environment (gateway/backpressure.ts backpressureLimits). */
  backpressure?: Partial<BackpressureLimits>;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  bodyBytes: 256 * 1024,
  frameBytes: 256 * 1024 + 4096,
  ratePerMinute: 1200,
  sessionsPerParticipant: 16,
  batchSize: 100,
  heartbeatMs: 30_000,
  helloTimeoutMs: 5_000,
  routeTimeoutMs: 10_000,
  watchTtlMs: 60_000,
  watchPollMs: 1_000,
  batchMaxTargets: 10_000,
  replayEvents: 5000,
  replayLog: 20_000,
};

export interface GatewayDeps {
  store: Store;
  router: Router;
  client: Client;
  settings: EngineSettings;
  directory: Directory;
  /** HS256 secret of access tokens (THREDS_JWT_SECRET). */
  jwtSecret: string;
  /** Bearer token thred workers present to POST /internal/deliver (bin/internal-token.ts). */
  internalToken: string;
  /** Identifies this instance in store.sessions. */
  gatewayId: string;
  /** Base URL other processes reach this instance at; defaults to the address it listens on. */
  publicUrl?: string;
  limits?: Partial<GatewayLimits>;
  /** Access-token lifetime (default 15 min) and refresh-token lifetime (default 30 days). */
  tokens?: { accessTtlMs?: number; refreshTtlMs?: number };
  logger?: FastifyServerOptions['logger'];
  now?: () => number;
}

/** Everything a plugin needs, built once by buildApp and passed as plugin options (no module singletons). */
export interface GatewayContext {
  deps: GatewayDeps;
  limits: GatewayLimits;
  metrics: GatewayMetrics;
  ingest: Ingest;
  hub: SessionHub;
  now: () => number;
}
