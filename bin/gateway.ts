/**
 * Runs the gateway: buildApp + listen. The only place the gateway binds a port. `publicUrl` is what thred workers
 * use to push to this instance (store.sessions gatewayUrl): the listening address, with a wildcard host replaced by
 * 127.0.0.1 — set it when workers run on other hosts.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp, type GatewayDeps } from '../gateway/app';
import { createRouter } from '../gateway/routing';
import type { Store } from '../store';
import type { Directory } from '../store/directory';
import type { EngineSettings } from '../workflows/messages';
import type { Config } from './config';
import { webConsole, type WebConsoleOptions } from '../gateway/plugins/web';

/**
 * Every process names the thred a line is about `thredId` (one jq filter follows it across gateway, worker and
 * agents); the gateway's per-event lines list the threds an event went to as `thredIds`, so a single one is named
 * `thredId` as well.
 */
export function oneThred(o: Record<string, unknown>): Record<string, unknown> {
  return Array.isArray(o.thredIds) && o.thredIds.length === 1 && o.thredId === undefined
    ? { ...o, thredId: o.thredIds[0] }
    : o;
}

export interface StartGatewayOptions {
  config: Config;
  store: Store;
  client: Client;
  directory: Directory;
  settings: EngineSettings;
  internalToken: string;
  /** Interface to bind; default 0.0.0.0. */
  host?: string;
  publicUrl?: string;
  limits?: GatewayDeps['limits'];
  logger?: GatewayDeps['logger'];
  /** Serve the web console at / (default true; built on start when stale). */
  web?: boolean | WebConsoleOptions;
}

export async function startGateway(
  opts: StartGatewayOptions,
): Promise<{ app: FastifyInstance; url: string; close(): Promise<void> }> {
  const { config } = opts;
  const host = opts.host ?? '0.0.0.0';
  // Stable across restarts on one host and port, so a restart removes the session records a crash left behind.
  const gatewayId = `${hostname()}:${config.port || randomBytes(4).toString('hex')}`;
  await opts.store.sessions.removeGateway(gatewayId);
  const router = createRouter({
    client: opts.client,
    store: opts.store,
    settings: opts.settings,
    taskQueue: config.taskQueue,
  });
  const deps: GatewayDeps = {
    store: opts.store,
    router,
    client: opts.client,
    settings: opts.settings,
    directory: opts.directory,
    jwtSecret: config.jwtSecret,
    internalToken: opts.internalToken,
    gatewayId,
    logger:
      opts.logger ??
      (config.logLevel === 'silent'
        ? false
        : { name: 'threds-gateway', level: config.logLevel, formatters: { log: oneThred } }),
    limits: {
      ...(config.ratePerMinute !== undefined && { ratePerMinute: config.ratePerMinute }),
      ...(config.maxBodyBytes !== undefined && { bodyBytes: config.maxBodyBytes }),
      ...opts.limits,
    },
  };
  const app = buildApp(deps);
  if (opts.web !== false) await app.register(webConsole, typeof opts.web === 'object' ? opts.web : {});
  await app.listen({ port: config.port, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const reachableHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = opts.publicUrl ?? config.publicUrl ?? `http://${reachableHost}:${port}`;
  deps.publicUrl = url; // read by the sessions plugin when a session registers (after listen)
  return { app, url, close: () => app.close() };
}
