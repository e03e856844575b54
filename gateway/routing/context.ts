/** What every part of the router shares: its result shape, its logger, and the servers and settings it routes with. */
import type { Client } from '@temporalio/client';
import { ErrorCodes } from '../../patterns/effects';
import type { Pattern } from '../../patterns';
import type { Store } from '../../store';
import type { EngineSettings } from '../../workflows/messages';
import type { RouterMetrics } from '../metrics';
import { RouteError, UNAVAILABLE_MESSAGE } from '../errors';

export interface RouteResult {
  eventId: string;
  thredIds: string[];
  started: string[];
  refused: { patternId: string; code: number; reason: string }[];
}

/** 503: a server did not answer (in time); nothing the client did wrong, and a retry with the same id is safe. */
export function unavailable(): RouteError {
  return new RouteError('UNAVAILABLE', UNAVAILABLE_MESSAGE, ErrorCodes.SERVER_ERROR);
}

/** What the router logs (pino's signature; the gateway's logger or a default one). */
export interface RouterLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
}

export type StoredPattern = Pattern & { id: string };

export interface RoutingContext {
  client: Client;
  store: Store;
  settings: EngineSettings;
  taskQueue: string;
  now: () => number;
  log: RouterLogger;
  metrics: RouterMetrics;
}
