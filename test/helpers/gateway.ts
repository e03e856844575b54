/**
 * Gateway instances over the real test engine: the engine's thred worker is replaced by one whose `push` posts to the
 * gateways' POST /internal/deliver (activities/delivery.ts httpPusher), so WebSocket deliveries run the production
 * path. Apps listen on port 0 (WebSocket clients and worker pushes need a socket); HTTP checks use inject().
 */
import { randomBytes } from 'node:crypto';
import { WebSocket, type ClientOptions } from 'ws';
import { hash } from '@node-rs/argon2';
import type { FastifyInstance } from 'fastify';
import type { Worker } from '@temporalio/worker';
import { buildApp, type GatewayDeps } from '../../gateway/app';
import { signAccessToken } from '../../gateway/tokens';
import pino from 'pino';
import type { AgentConfig, Directory } from '../../store/directory';
import { startAgentWorkers } from '../../bin/agents';
import { engineSettings } from '../../bin/settings';
import { createThredWorker } from '../../bin/worker';
import { httpPusher } from '../../activities';
import { startEngine, type EngineOptions, type TestEngine } from './engine';

export const JWT_SECRET = 'test-secret-' + randomBytes(12).toString('hex');
export const INTERNAL_TOKEN = 'internal-' + randomBytes(12).toString('hex');

export interface Gateway {
  app: FastifyInstance;
  url: string;
  deps: GatewayDeps;
}

export interface GatewayEngine {
  e: TestEngine;
  directory: Directory;
  /** Builds, and listens on port 0, one more gateway instance on the same store and Temporal namespace. */
  gateway(extra?: Partial<GatewayDeps>, listen?: boolean): Promise<Gateway>;
  token(participantId: string, roles?: string[], ttlMs?: number, now?: number): string;
  bearer(participantId: string, roles?: string[]): { authorization: string };
  addParticipant(id: string, password: string, roles?: string[]): Promise<void>;
  close(): Promise<void>;
}

export interface GatewayEngineOptions extends EngineOptions {
  /** Agents run by the production agent runtime (bin/agents.ts), e.g. `builtin:persistence`. */
  runtimeAgents?: AgentConfig[];
}

export async function startGatewayEngine(label: string, opts: GatewayEngineOptions): Promise<GatewayEngine> {
  const directory: Directory = {
    groups: opts.groups ?? {},
    roles: {},
    agents: [...(opts.agents ?? []).map(({ handler: _h, ...a }) => a), ...(opts.runtimeAgents ?? [])],
    configDir: '',
  };
  // The router and threds must know the runtime agents too (addresses and activity options).
  const full = engineSettings(directory, {});
  const e = await startEngine(label, {
    ...opts,
    settings: { agents: full.agents, agentOptions: full.agentOptions, ...opts.settings },
  });
  const runtime = opts.runtimeAgents?.length
    ? await startAgentWorkers({
        connection: e.connection,
        namespace: e.s.namespace,
        store: e.store,
        directory: { ...directory, agents: opts.runtimeAgents },
        mongoUrl: e.s.mongoUrl,
        logger: pino({ level: 'silent' }),
      })
    : undefined;
  // Same worker, plus pushes to the gateways (startEngine's has no pusher).
  await e.stopThredWorker();
  const worker: Worker = await createThredWorker({
    connection: e.connection,
    namespace: e.s.namespace,
    store: e.store,
    directory,
    taskQueue: e.s.taskQueue,
    push: httpPusher(INTERNAL_TOKEN),
  });
  const running = worker.run();
  const apps: FastifyInstance[] = [];
  let n = 0;

  const token = (participantId: string, roles: string[] = [], ttlMs = 3_600_000, now = Date.now()) =>
    signAccessToken(JWT_SECRET, { participantId, roles, ttlMs, now }).token;

  return {
    e,
    directory,
    async gateway(extra = {}, listen = true) {
      const deps: GatewayDeps = {
        store: e.store,
        router: e.router,
        client: e.s.client,
        settings: e.settings,
        directory,
        jwtSecret: JWT_SECRET,
        internalToken: INTERNAL_TOKEN,
        gatewayId: `${label}-gw${++n}`,
        ...extra,
      };
      const app = buildApp(deps);
      apps.push(app);
      if (!listen) {
        await app.ready();
        return { app, url: '', deps };
      }
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = app.listeningOrigin;
      deps.publicUrl = url;
      return { app, url, deps };
    },
    token,
    bearer: (participantId, roles) => ({ authorization: `Bearer ${token(participantId, roles)}` }),
    async addParticipant(id, password, roles = []) {
      await e.store.participants.upsert({ id, passwordHash: await hash(password), roles }, Date.now());
    },
    async close() {
      await Promise.all(apps.map((a) => a.close()));
      worker.shutdown();
      await running;
      await runtime?.shutdown();
      await e.close();
    },
  };
}

export type Frame = Record<string, unknown> & { type: string };

/** A WebSocket test client: every frame is kept; `next` waits for the first unread frame matching a predicate. */
export class WsClient {
  readonly frames: Frame[] = [];
  private read = new Set<Frame>();
  private waiters: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly ws: WebSocket;

  constructor(baseUrl: string, options?: ClientOptions) {
    this.ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + '/ws', options);
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.waiters.splice(0).forEach((w) => w());
    });
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.waiters.splice(0).forEach((w) => w());
      }),
    );
  }

  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((ok, fail) => {
      this.ws.once('open', () => ok());
      this.ws.once('error', fail);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async next(match: (f: Frame) => boolean = () => true, what = 'a frame', timeoutMs = 20_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.find((x) => !this.read.has(x) && match(x));
      if (f) {
        this.read.add(f);
        return f;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Opens, says hello, waits for welcome. */
  static async connect(
    baseUrl: string,
    token: string,
    since?: number,
    options?: ClientOptions,
  ): Promise<{ ws: WsClient; welcome: Frame }> {
    const ws = new WsClient(baseUrl, options);
    await ws.opened();
    ws.send({ type: 'hello', token, ...(since !== undefined && { since }) });
    const welcome = await ws.next((f) => f.type === 'welcome' || f.type === 'error', 'welcome');
    if (welcome.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    return { ws, welcome };
  }

  close(): void {
    this.ws.close();
  }
}

/** The `message` frames' events with a given title. */
export const titled = (title: string) => (f: Frame) =>
  f.type === 'message' && (f.message as { event?: { data?: { title?: string } } }).event?.data?.title === title;
